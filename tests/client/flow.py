"""A whole round through the Python client that openapi-python-client generates from
openapi/openapi.json with its default settings, and through nothing else: no raw HTTP.

A service is started on its embedded defaults (SQLite under a temporary folder) but for
mail and webhooks: mail goes to an SMTP port on 127.0.0.1 that nobody listens on, with one
attempt per mail, so every mail fails for good and is announced as `mailing.failed` (the
flow reads no mail: it gets links through the API); webhooks may target 127.0.0.1. Then,
through the client: two webhook endpoints registered for every event type (audience staff
and partner) on a receiver in this process; a questionnaire, a workshop and its
participants, a round; the timeline previewed (`dry_run`), the round scheduled and opened
by the scheduler, a personal link issued, answered with "none of these" (`choices: []`)
and revised, a second reply entered by staff; the round closed and its feedback released;
every analytics route read (reply rates, choices, yes/no, findings, cross-tab, trends, the
JSON report, with a 304 on its ETag); the replies exported as CSV and as .xlsx (the bytes
must open as a workbook, openpyxl), imported back into new rounds and exported again
unchanged; and error bodies (401, 404, 409, 422) parsed as the `Problem` schema. List
items, report tables and the cross-tab's 2x2 table parse as their named models, and the
parsed models give back the bodies they were parsed from.

Last, the webhooks: every event type reaches both endpoints (waited for, at most 30 s),
each delivery is signed per Standard Webhooks with its endpoint's secret, and each body
validates (jsonschema, date-times checked) against the request body schema of its entry
in the document's `webhooks` section, with `type` its entry's key; partner endpoints get
no mail `error`.

Usage: python flow.py BINARY   (scripts/python-client-test.sh generates and installs the
client first; CLIENT_PACKAGE names its import package when it is not the default one,
CLIENT_DOCUMENT the document it was generated from when not openapi/openapi.json)
"""

import base64
import csv
import hashlib
import hmac
import http.server
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import openpyxl
import referencing
import referencing.jsonschema

PACKAGE = os.environ.get("CLIENT_PACKAGE", "follow_up_actions_survey_client")
client_package = importlib.import_module(PACKAGE)
models = importlib.import_module(PACKAGE + ".models")
client_types = importlib.import_module(PACKAGE + ".types")
AuthenticatedClient = client_package.AuthenticatedClient
Client = client_package.Client
File = client_types.File
UNSET = client_types.UNSET

DOCUMENT = Path(os.environ.get("CLIENT_DOCUMENT")
                or Path(__file__).resolve().parents[2] / "openapi" / "openapi.json")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

QUESTIONS = [
    {"code": "follow_up_actions", "type": "multiple_choice", "label": "Which follow-up actions did you take?",
     "allow_other": True,
     "options": [{"code": "share_materials", "label": "Shared the training materials"},
                 {"code": "submit_report", "label": "Submitted a report to superiors"},
                 {"code": "make_recommendations", "label": "Made recommendations to senior officials"},
                 {"code": "organize_inhouse_workshop", "label": "Organized an in-house workshop"}]},
    {"code": "direct_effects", "type": "yes_no", "label": "Have you realized direct effects?",
     "help": "Give examples in the comment."},
    {"code": "new_projects", "type": "yes_no", "label": "Did you start new projects?"},
    {"code": "usefulness", "type": "scale", "label": "How useful was the workshop?",
     "scale_min": 1, "scale_max": 5},
    {"code": "lessons_applied", "type": "text", "label": "How did you apply the lessons learnt?"},
]


# --- the generated client, found by operation id -------------------------------------------

def op(operation_id):
    """The module of one operation, whatever tag folder the generator put it in."""
    api = importlib.import_module(PACKAGE + ".api")
    for folder in pkgutil.iter_modules(api.__path__):
        name = f"{PACKAGE}.api.{folder.name}.{operation_id}"
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    raise LookupError(f"the generated client has no operation {operation_id}")


def expect(response, status, model=None):
    """The parsed body of `response`, which must have `status` (and be a `model`)."""
    assert response.status_code == status, (
        f"HTTP {status} expected, got {int(response.status_code)}: {response.content[:600]!r}")
    if model is not None:
        assert isinstance(response.parsed, model), (
            f"{model.__name__} expected, got {type(response.parsed).__name__}")
    return response.parsed


def expect_problem(response, status, field=None):
    """An error: `status`, `application/problem+json`, parsed as the Problem schema, all of
    the body kept (`to_dict()` gives the body back)."""
    problem = expect(response, status, models.Problem)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    assert problem.status == status, problem
    assert problem.type_ and problem.title and problem.detail, problem
    assert problem.to_dict() == json.loads(response.content), (problem.to_dict(), response.content)
    if field is not None:
        fields = [error.field for error in problem.errors]
        assert field in fields, f"{field} not among the failing fields {fields}"
    print(f"  problem {status}: {problem.type_}: {problem.detail}")
    return problem


ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def canonical(value):
    """JSON with date-times as instants, so `2026-01-01T00:00:00Z` equals `...+00:00`."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return datetime.fromisoformat(value).astimezone(UTC)
    return value


def round_trips(response):
    """The parsed model gives back the body it was parsed from."""
    parsed = response.parsed.to_dict()
    sent = json.loads(response.content)
    assert canonical(parsed) == canonical(sent), (
        f"{type(response.parsed).__name__}.to_dict() differs from the body:\n{parsed}\n{sent}")


# --- the service -------------------------------------------------------------------------

class Service:
    """The service on its embedded defaults, in a temporary folder, but for mail (to an SMTP
    port nobody listens on, one attempt each: every mail fails for good) and webhooks (to
    127.0.0.1 allowed); an admin key."""

    def __init__(self, binary):
        self.dir = Path(tempfile.mkdtemp(prefix="followup-client-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        # Bound and never listening, and held until the service stops so that nothing else
        # takes the port: a connection to it is refused.
        self.closed_port = socket.socket()
        self.closed_port.bind(("127.0.0.1", 0))
        smtp = f"smtp://127.0.0.1:{self.closed_port.getsockname()[1]}"
        env = dict(os.environ, DATA_DIR=str(self.dir), BIND=f"127.0.0.1:{self.port}",
                   LOG_LEVEL="warn", FOLLOWUP_SCHEDULER_INTERVAL_SECS="1",
                   FOLLOWUP_MAIL_POLL_INTERVAL_MS="200",
                   FOLLOWUP_RESPOND_REQUESTS_PER_MINUTE="100000",
                   FOLLOWUP_SMTP_URL=smtp, FOLLOWUP_MAIL_MAX_ATTEMPTS="1",
                   # A list setting from the environment is written as a TOML array.
                   FOLLOWUP_WEBHOOK_ALLOWED_HOSTS='["127.0.0.1"]',
                   FOLLOWUP_WEBHOOK_POLL_INTERVAL_MS="200")
        env.pop("DATABASE_URL", None)
        self.binary, self.env = binary, env
        key = subprocess.run([binary, "keys", "create", "--role", "admin", "--name", "client-flow"],
                             env=env, check=True, capture_output=True, text=True).stdout.strip()
        self.log = open(self.dir / "service.log", "w")
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=self.log, stderr=self.log)
        self.admin = AuthenticatedClient(base_url=self.base, token=key, timeout=30,
                                         raise_on_unexpected_status=True)
        # A participant has no API key, and neither has a caller without one.
        self.anonymous = Client(base_url=self.base, timeout=30, raise_on_unexpected_status=True)
        for _ in range(600):
            if self.process.poll() is not None:
                break
            try:
                # The document gives /readyz `security: [{}]`, so the generator asks for an
                # AuthenticatedClient; a plain Client is what a probe has.
                health = op("readyz").sync_detailed(client=self.anonymous)
                if health.status_code == 200:
                    return
            except Exception:  # not listening yet  # noqa: S110
                pass
            time.sleep(0.1)
        raise RuntimeError("the service did not start: " + (self.dir / "service.log").read_text())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
        self.closed_port.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- helpers over the generated models ---------------------------------------------------

def answers(model, by_code):
    """An answers map model (additional properties) from {code: AnswerInput keyword args}."""
    result = model()
    for code, fields in by_code.items():
        result[code] = models.AnswerInput(**fields)
    return result


def import_body(module, data, file_name, media_type):
    """The request body of the generated import operation for a file's bytes: the document
    declares it `application/octet-stream`, `type: string, format: binary`, so `body` is a
    `File` and goes out as its bytes (the service tells CSV from .xlsx by its first bytes)."""
    annotation = module.sync_detailed.__annotations__["body"]
    assert annotation is File, f"the import operation takes a File, not {annotation}"
    return File(payload=io.BytesIO(data), file_name=file_name, mime_type=media_type)


def sorted_rows(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], sorted(rows[1:])


# --- webhooks ----------------------------------------------------------------------------

WEBHOOK_EVENTS = ("reply.submitted", "reply.revised", "round.opened", "round.closed", "mailing.failed",
                  "mailing.bounced", "mailing.blocked", "mailing.auto_replied",
                  "handover.accepted", "handover.rejected")
RETURNED = {"mailing.bounced": "postfix-user-unknown.eml",
            "mailing.blocked": "outlook-5.7.515-sender-authentication.eml",
            "mailing.auto_replied": "out-of-office.eml"}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
DOCUMENT_URI = "https://followup.invalid/openapi.json"  # the document's base URI for $refs


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (a free port) in a thread: records every request it gets
    as (path, headers with lower-case names, body bytes) and answers 204."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the name http.server calls)
                length = self.headers.get("content-length")
                body = self.rfile.read(int(length)) if length is not None else b""
                with receiver.lock:
                    receiver.received.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def deliveries(self):
        with self.lock:
            return list(self.received)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def register_webhooks(admin, receiver):
    """One endpoint per audience, each for every event type; {receiver path: CreatedWebhook}."""
    endpoints = {}
    for audience in (models.Audience.STAFF, models.Audience.PARTNER):
        path = f"/{audience}"
        created = expect(op("create_webhook").sync_detailed(client=admin, body=models.WebhookRequest(
            url=receiver.url + path, event_types=list(models.EventType), audience=audience,
            description=f"client flow, {audience}")), 201, models.CreatedWebhook)
        assert created.audience == audience and created.active, created
        assert sorted(created.event_types) == sorted(WEBHOOK_EVENTS), created.event_types
        assert created.secret.startswith("whsec_"), "the secret is whsec_ and base64"
        endpoints[path] = created
    return endpoints


def webhook_validators(document):
    """{event type: a validator of its body}: the request body schema of each entry of the
    document's `webhooks` section, its `#/components/...` refs resolved in the document."""
    entries = document.get("webhooks", {})
    assert sorted(entries) == sorted(WEBHOOK_EVENTS), f"the document's webhooks: {sorted(entries)}"
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers, "date-times go unchecked: install rfc3339-validator"
    registry = referencing.Registry().with_resource(
        DOCUMENT_URI, referencing.jsonschema.DRAFT202012.create_resource(document))
    validators = {}
    for name, entry in entries.items():
        post = entry["post"]
        headers = {p["name"]: p for p in post.get("parameters", []) if p["in"] == "header"}
        for header in SIGNATURE_HEADERS:
            assert headers.get(header, {}).get("required"), f"{name}: {header} is not a required header"
        assert post["requestBody"].get("required"), f"{name}: the request body is not required"
        assert "application/json" in post["requestBody"]["content"], f"{name}: no application/json body"
        pointer = f"/webhooks/{name.replace('~', '~0').replace('/', '~1')}/post/requestBody/content/application~1json/schema"
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$ref": f"{DOCUMENT_URI}#{pointer}"}
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[name] = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)
    return validators


def verify_signature(secret, headers, body):
    """The Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed
    with the base64-decoded part of the `whsec_` secret, one of the space-separated values."""
    missing = [h for h in SIGNATURE_HEADERS if h not in headers]
    assert not missing, f"headers {missing} missing: {headers}"
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [value.partition(",")[2] for value in headers["webhook-signature"].split()
             if value.startswith("v1,")]
    assert any(hmac.compare_digest(expected, value) for value in given), (
        f"bad signature {headers['webhook-signature']!r} for webhook-id {headers['webhook-id']}: "
        f"v1,{expected} expected")
    signed_at = int(headers["webhook-timestamp"])
    assert abs(time.time() - signed_at) < 300, f"webhook-timestamp {signed_at} is not now"


def type_of(body):
    try:
        return json.loads(body).get("type")
    except (ValueError, AttributeError):
        return None


def await_webhooks(admin, receiver, endpoints, timeout=30):
    """Every event type delivered to every endpoint; fails after `timeout` seconds naming
    what is missing and what the service recorded for it."""
    deadline = time.monotonic() + timeout
    while True:
        seen = {(path, type_of(body)) for path, _, body in receiver.deliveries()}
        missing = [(path, kind) for path in endpoints for kind in WEBHOOK_EVENTS if (path, kind) not in seen]
        if not missing:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    recorded = []
    for path, kind in missing:
        listing = op("list_deliveries").sync_detailed(
            endpoints[path].id, client=admin, event_type=models.EventType(kind))
        recorded.append(f"{path} {kind}: " + (
            "; ".join(f"{d.status} after {d.attempts} attempt(s): {d.last_error}" for d in listing.parsed.items)
            if listing.status_code == 200 and listing.parsed.items else "none recorded"))
    received = Counter((path, type_of(body)) for path, _, body in receiver.deliveries())
    raise AssertionError(f"no webhook within {timeout} s for {missing}; received {dict(received)}; "
                         "the service's deliveries: " + " | ".join(recorded))


ROUND_STATE = {"round.opened": "open", "round.closed": "closed"}


def check_webhooks(receiver, endpoints, validators):
    """Every delivery received: signed with its endpoint's secret, sent as JSON, its body
    valid against its entry's schema with `type` the entry's key; one line per event type."""
    counts = Counter()
    for path, headers, body in receiver.deliveries():
        assert path in endpoints, f"a delivery to {path}, which no endpoint names"
        endpoint = endpoints[path]
        verify_signature(endpoint.secret, headers, body)
        assert headers.get("content-type", "").startswith("application/json"), headers
        event = json.loads(body)
        kind = event.get("type") if isinstance(event, dict) else None
        assert kind in validators, f"{path}: a delivery of no documented event type: {body[:600]!r}"
        errors = sorted(validators[kind].iter_errors(event), key=lambda e: list(e.absolute_path))
        assert not errors, f"{path}: {kind} body does not match the document's schema:\n  body: {body.decode()}\n" + \
            "\n".join(f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message} (schema "
                      f"{'/'.join(map(str, e.absolute_schema_path))})" for e in errors)
        data = event["data"]
        if kind in ROUND_STATE:
            assert data["state"] == ROUND_STATE[kind], f"{kind} of a round in state {data['state']}"
        if kind == "reply.submitted":
            assert data["revision"] == 1, data
        if kind == "reply.revised":
            assert data["revision"] > 1, data
        if kind in RETURNED and endpoint.audience == models.Audience.PARTNER:
            assert "detail" not in data, f"a partner endpoint got the server's words: {data}"
        if kind == "mailing.failed":
            if endpoint.audience == models.Audience.PARTNER:
                assert "error" not in data, f"a partner endpoint got a mail error: {data}"
            else:
                assert isinstance(data.get("error"), str) and data["error"], f"no mail error for staff: {data}"
        counts[kind, endpoint.audience] += 1
    for kind in WEBHOOK_EVENTS:
        print(f"  {kind}: {counts[kind, models.Audience.STAFF]} to staff, "
              f"{counts[kind, models.Audience.PARTNER]} to partner; signed, body valid against the document")


# --- the flow ----------------------------------------------------------------------------

def flow(service, receiver):
    admin, anonymous = service.admin, service.anonymous
    # Read before anything happens: a document without its webhooks fails here.
    validators = webhook_validators(json.loads(DOCUMENT.read_text()))

    print("errors before any data")
    expect_problem(op("list_workshops").sync_detailed(client=anonymous), 401)
    expect_problem(op("get_workshop").sync_detailed(999999, client=admin), 404)
    ended = date.today() - timedelta(days=190)
    started = ended - timedelta(days=3)
    expect_problem(op("create_workshop").sync_detailed(client=admin, body=models.WorkshopRequest(
        title="Backwards", scope=models.Scope.REGIONAL, start_date=ended, end_date=started)), 422)

    print("webhook endpoints for every event type, audience staff and partner")
    expect_problem(op("create_webhook").sync_detailed(client=admin, body=models.WebhookRequest(
        url=receiver.url + "/weak", event_types=[models.EventType.ROUND_CLOSED], secret="whsec_short")),
        422, field="secret")
    endpoints = register_webhooks(admin, receiver)

    print("questionnaire, workshop, participants")
    questionnaire = expect(op("create_questionnaire").sync_detailed(
        client=admin, body=models.QuestionnaireRequest.from_dict(
            {"title": "Follow-up actions", "questions": QUESTIONS})), 201, models.Questionnaire)
    assert [q.code for q in questionnaire.questions] == [q["code"] for q in QUESTIONS]
    workshop = expect(op("create_workshop").sync_detailed(client=admin, body=models.WorkshopRequest(
        title="WCO Regional Workshop on Risk Management", topic="Risk management",
        scope=models.Scope.REGIONAL, start_date=started, end_date=ended, venue="Bangkok, Thailand")),
        201, models.Workshop)
    assert workshop.start_date == started and workshop.end_date == ended
    expect_problem(op("create_participant").sync_detailed(workshop.id, client=admin, body=models.ParticipantRequest(
        name="Nobody", email="not-an-email", administration="MY")), 422, field="email")
    officers = {}
    for name, code in [("Siti Aminah", "MY"), ("Somchai Prasert", "TH")]:
        officers[code] = expect(op("create_participant").sync_detailed(
            workshop.id, client=admin, body=models.ParticipantRequest(
                name=name, email=f"{code.lower()}.officer@customs.example", administration=code)),
            201, models.Participant)
    listed = expect(op("list_participants").sync_detailed(workshop.id, client=admin), 200)
    assert listed.total == 2, listed
    # The list items are the Participant model (Page_Participant.items refers to it).
    assert all(isinstance(item, models.Participant) for item in listed.items), \
        [type(item).__name__ for item in listed.items]

    print("round, timeline preview, schedule")
    round_ = expect(op("create_round").sync_detailed(client=admin, body=models.RoundRequest(
        title="Survey (client flow)", round_number=1, fiscal_year=models.FiscalYear("2026/27"),
        questionnaire_id=questionnaire.id)), 201, models.Round)
    assert round_.state == models.RoundState.DRAFT
    attached = expect(op("attach_workshop").sync_detailed(
        round_.id, client=admin, body=models.AttachRequest(workshop_id=workshop.id)), 201, models.RoundWorkshop)
    assert attached.opens_on < date.today() < attached.due_on, attached
    preview = expect(op("schedule_round").sync_detailed(round_.id, client=admin, dry_run=True), 200, models.Timeline)
    assert preview.state == models.RoundState.SCHEDULED, preview.state
    assert [(w.workshop_id, w.participants, w.opens_on, w.due_on) for w in preview.workshops] == [
        (workshop.id, 2, attached.opens_on, attached.due_on)], preview.workshops
    assert not preview.warnings, preview.warnings
    still = expect(op("get_round").sync_detailed(round_.id, client=admin), 200, models.Round)
    assert still.state == models.RoundState.DRAFT, "a dry run changes nothing"
    scheduled = expect(op("schedule_round").sync_detailed(round_.id, client=admin), 200, models.ScheduledRound)
    assert scheduled.state in (models.RoundState.SCHEDULED, models.RoundState.OPEN), scheduled.state
    timeline = expect(op("round_timeline").sync_detailed(round_.id, client=admin), 200, models.Timeline)
    assert [w.workshop_id for w in timeline.workshops] == [workshop.id]
    # The scheduler (every second here) opens the round: its workshop's survey opened before today.
    deadline = time.monotonic() + 30
    while (current := expect(op("get_round").sync_detailed(round_.id, client=admin), 200, models.Round)
           ).state != models.RoundState.OPEN:
        assert time.monotonic() < deadline, f"the scheduler did not open the round: {current.state}"
        time.sleep(0.2)

    print("invitations, a link, 'none of these', a revision")
    invitations = expect(op("list_invitations").sync_detailed(round_.id, client=admin), 200)
    assert invitations.total == 2, invitations
    invitation_of = {item.administration: item.id for item in invitations.items}
    assert sorted(invitation_of) == ["MY", "TH"], invitation_of
    # The list items are the Invitation model.
    assert all(isinstance(item, models.Invitation) for item in invitations.items), \
        [type(item).__name__ for item in invitations.items]
    issued = expect(op("issue_link").sync_detailed(invitation_of["MY"], client=admin), 200, models.IssuedLink)
    assert issued.token and issued.token in issued.respond_path, issued
    assert issued.invitation.link_active
    form = expect(op("get_response_form").sync_detailed(issued.token, client=anonymous), 200, models.ResponsePage)
    assert form.accepting_replies and form.participant_name == "Siti Aminah", form
    assert [q.code for q in form.questionnaire.questions] == [q["code"] for q in QUESTIONS]
    submit = op("submit_reply")
    first = {
        "follow_up_actions": {"choices": []},  # none of these: an answer, unlike leaving it out
        "direct_effects": {"yes": True, "comment": "Better targeting of high-risk cargo."},
        "new_projects": {"yes": False},
        "usefulness": {"value": 4},
    }
    receipt = expect(submit.sync_detailed(issued.token, client=anonymous, body=models.AnswersRequest(
        answers=answers(models.AnswersRequestAnswers, first))), 200, models.Receipt)
    assert receipt.revision == 1 and not receipt.late, receipt
    assert receipt.answers["follow_up_actions"].choices == [], receipt.answers["follow_up_actions"]
    revised = dict(first, usefulness={"value": 5}, lessons_applied={"text": "Updated our risk register."})
    again = expect(submit.sync_detailed(issued.token, client=anonymous, body=models.AnswersRequest(
        answers=answers(models.AnswersRequestAnswers, revised))), 200, models.Receipt)
    assert again.revision == 2, again
    assert again.first_submitted_at == receipt.first_submitted_at
    assert again.answers["usefulness"].value == 5
    assert again.answers["lessons_applied"].text == "Updated our risk register."
    assert again.answers["follow_up_actions"].choices == []
    same = expect(submit.sync_detailed(issued.token, client=anonymous, body=models.AnswersRequest(
        answers=answers(models.AnswersRequestAnswers, revised))), 200, models.Receipt)
    assert same.revision == 2, "the same answers again change nothing"
    expect_problem(op("get_response_form").sync_detailed("not-a-token", client=anonymous), 404)

    not_for_me(service, invitation_of["TH"])

    print("a reply entered by staff")
    staff = expect(op("enter_reply").sync_detailed(invitation_of["TH"], client=admin, body=models.StaffReplyRequest(
        answers=answers(models.StaffReplyRequestAnswers, {
            "follow_up_actions": {"choices": ["share_materials", "submit_report"]},
            "direct_effects": {"yes": True},
            "new_projects": {"yes": True},
            "usefulness": {"value": 3},
        }))), 200, models.Reply)
    assert staff.provenance == models.Provenance.STAFF, staff.provenance
    replies = expect(op("list_replies").sync_detailed(round_.id, client=admin), 200)
    assert replies.total == 2, replies

    print("close, feedback")
    closed = expect(op("close_round").sync_detailed(round_.id, client=admin), 200, models.Round)
    assert closed.state == models.RoundState.CLOSED
    expect_problem(submit.sync_detailed(issued.token, client=anonymous, body=models.AnswersRequest(
        answers=answers(models.AnswersRequestAnswers, first))), 409)
    # Feedback released without a body (it is optional): one mail per reply queued.
    released = expect(op("release_feedback").sync_detailed(round_.id, client=admin), 200, models.FeedbackSummary)
    assert released.queued + released.already_queued + released.without_officer == 2, released
    assert released.queued == 2, released

    print("analytics")
    rates = op("get_reply_rates").sync_detailed(round_.id, client=admin)
    table = expect(rates, 200, models.ReplyRates)
    assert (table.total.count, table.total.base, table.total.percent) == (2, 2, 100), table.total
    round_trips(rates)
    choices = op("get_choices").sync_detailed(round_.id, client=admin, question="follow_up_actions")
    table = expect(choices, 200, models.ChoiceTable)
    assert [o.code for o in table.options][:2] == ["share_materials", "submit_report"], table.options
    assert table.total.base == 2, "none of these counts as an answer"
    assert [(s.count, s.percent) for s in table.total.options[:4]] == [(1, 50), (1, 50), (0, 0), (0, 0)]
    round_trips(choices)
    yes_no = op("get_yes_no").sync_detailed(round_.id, client=admin, question="direct_effects")
    table = expect(yes_no, 200, models.YesNoTable)
    assert (table.total.base, table.total.yes.count) == (2, 2), table.total
    round_trips(yes_no)
    findings = expect(op("get_findings").sync_detailed(round_.id, client=admin), 200, models.Findings)
    assert findings.findings and all(isinstance(f, str) for f in findings.findings), findings
    cross = op("get_cross_tab").sync_detailed(round_.id, client=admin, outcome="direct_effects",
                                              actions="follow_up_actions:share_materials,follow_up_actions:submit_report")
    tab = expect(cross, 200, models.CrossTab)
    assert tab.outcome_count == 2 and tab.outcome.code == "direct_effects", tab
    assert [a.selector for a in tab.actions] == ["follow_up_actions:share_materials",
                                                 "follow_up_actions:submit_report"]
    assert [a.took for a in tab.actions] == [1, 1]
    assert len(tab.rows) == 1 and sorted(m.administration for m in tab.rows[0].outcome) == ["MY", "TH"]
    # The 2x2 table parses as its model and gives its four cells back: MY had the outcome
    # without the action (1), TH both (1), whatever the four cells are named.
    cells = tab.actions[0].association.table.to_dict()
    assert sorted(cells.values()) == [0, 0, 1, 1] and len(cells) == 4, cells
    round_trips(cross)
    trends = expect(op("get_trends").sync_detailed(client=admin), 200, models.Trends)
    assert round_.id in [r.id for r in trends.rounds], trends.rounds

    print("the JSON report")
    report_op = op("get_report")
    response = report_op.sync_detailed(round_.id, client=admin)
    report = expect(response, 200, models.Report)
    assert report.final and report.state == models.RoundState.CLOSED, report
    kinds = {t.content.kind: t.content for t in report.tables}
    data_model = {"reply_rates": models.ReplyRates, "choices": models.ChoiceTable,
                  "yes_no": models.YesNoTable, "cross_tab": models.CrossTab}
    assert sorted(str(k) for k in kinds) == sorted(data_model), [t.content.kind for t in report.tables]
    for table in report.tables:
        assert isinstance(table.content.data, data_model[str(table.content.kind)]), table.content
    assert [t.number for t in report.tables] == list(range(1, len(report.tables) + 1))
    # The report's table variants are named models (no generated TableContentType0..3).
    anonymous_classes = sorted({type(t.content).__name__ for t in report.tables
                                if re.search(r"Type\d+$", type(t.content).__name__)})
    assert not anonymous_classes, anonymous_classes
    # The report gives its body back, its cross-tab tables' 2x2 tables included.
    round_trips(response)
    etag = response.headers["etag"]
    unchanged = report_op.sync_detailed(round_.id, client=admin, if_none_match=etag)
    assert unchanged.status_code == 304 and unchanged.parsed is None and not unchanged.content

    print("export as CSV and as .xlsx")
    export = op("export_replies")
    csv_response = export.sync_detailed(round_.id, client=admin, format_=models.ExportRepliesFormat.CSV)
    text = expect(csv_response, 200, str)
    assert csv_response.headers["content-type"].startswith("text/csv")
    header, rows = sorted_rows(text)
    for column in ("workshop", "administration", "provenance", "follow_up_actions", "direct_effects"):
        assert column in header, header
    assert [row[header.index("administration")] for row in rows] == ["MY", "TH"], rows
    assert rows[0][header.index("follow_up_actions")] == "(none)", "none of these is kept apart"
    xlsx_response = export.sync_detailed(round_.id, client=admin, format_=models.ExportRepliesFormat.XLSX)
    assert xlsx_response.status_code == 200 and xlsx_response.headers["content-type"].startswith(XLSX)
    # The bytes as sent (Response.content): the generator types a response only for JSON,
    # text/* and application/octet-stream; the xlsx entry of the document is skipped.
    workbook_bytes = xlsx_response.content
    assert workbook_bytes[:4] == b"PK\x03\x04", workbook_bytes[:16]
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    sheet_rows = [[("" if cell is None else str(cell)) for cell in row]
                  for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert sheet_rows[0] == header, (sheet_rows[0], header)
    assert len(sheet_rows) == 3, sheet_rows
    assert sorted(row[header.index("administration")] for row in sheet_rows[1:]) == ["MY", "TH"]

    print("import back: the CSV and the workbook, each into a new round")
    # The operation takes the file's bytes (application/octet-stream).
    importer = op("import_replies")
    expect_problem(importer.sync_detailed(round_.id, client=admin, body=import_body(
        importer, text.encode(), "replies.csv", "text/csv")), 409)  # its links were given out
    # As history of rounds run elsewhere: the same workshop under another title each time
    # (a workshop is subject to one round).
    title = header.index("workshop")
    as_csv = [header] + [row[:title] + [row[title] + " (CSV)"] + row[title + 1:] for row in rows]
    csv_out = io.StringIO()
    csv.writer(csv_out, lineterminator="\n").writerows(as_csv)
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    for row in workbook.worksheets[0].iter_rows(min_row=2):
        row[title].value = f"{row[title].value} (xlsx)"
    xlsx_out = io.BytesIO()
    workbook.save(xlsx_out)
    for number, (data, file_name, media_type, suffix) in enumerate(
            [(csv_out.getvalue().encode(), "replies.csv", "text/csv", " (CSV)"),
             (xlsx_out.getvalue(), "replies.xlsx", XLSX, " (xlsx)")], start=2):
        target = expect(op("create_round").sync_detailed(client=admin, body=models.RoundRequest(
            title=f"History {number}", round_number=number, fiscal_year=models.FiscalYear("2026/27"),
            questionnaire_id=questionnaire.id)), 201, models.Round)
        summary = expect(importer.sync_detailed(target.id, client=admin, body=import_body(
            importer, data, file_name, media_type)), 201, models.ImportSummary)
        assert (summary.replies, summary.workshops_created) == (2, 1), summary
        back = expect(export.sync_detailed(target.id, client=admin), 200, str)
        expected = sorted(row[:title] + [row[title] + suffix] + row[title + 1:] for row in rows)
        assert sorted_rows(back) == (header, expected), f"{file_name}: the same replies come back out"
        imported = expect(op("list_replies").sync_detailed(target.id, client=admin), 200)
        none_of_these = next(r for r in imported.items if r.administration == "MY")
        assert none_of_these.answers["follow_up_actions"].choices == [], none_of_these.answers
    expect_problem(importer.sync_detailed(target.id, client=admin, body=import_body(
        importer, b"colour\nred\n", "bad.csv", "text/csv")), 422, field="line 1, column colour")
    after = expect(op("list_replies").sync_detailed(target.id, client=admin), 200)
    assert after.total == 2, "a bad import writes nothing"

    read_returned_mail(service)

    print("webhooks: every event type, signed, bodies as the document's webhooks section says")
    await_webhooks(admin, receiver, endpoints)
    check_webhooks(receiver, endpoints, validators)


def not_for_me(service, invitation_id):
    """Thailand's officer says twice, on the page, that a colleague should answer: staff
    reject the first request and accept the second (the invitation is handed over)."""
    print("'not for me' on the page, the requests rejected and accepted through the client")
    admin = service.admin
    listing = op("list_handover_requests")
    for decision in ("reject_handover_request", "accept_handover_request"):
        token = expect(op("issue_link").sync_detailed(invitation_id, client=admin), 200,
                       models.IssuedLink).token
        form = urllib.parse.urlencode({"name": "Niran Chai", "email": "niran.chai@customs.example"})
        request = urllib.request.Request(
            f"{service.base}/respond/{token}/not-for-me", data=form.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert "that Niran Chai should answer" in response.read().decode(), "the page says it was sent"
        pending = expect(listing.sync_detailed(client=admin, status=models.HandoverStatus.PENDING), 200)
        assert pending.total == 1, pending
        decided = expect(op(decision).sync_detailed(pending.items[0].id, client=admin), 200,
                         models.HandoverRequest)
        assert decided.status != models.HandoverStatus.PENDING, decided
    invitation = expect(op("get_invitation").sync_detailed(invitation_id, client=admin), 200, models.Invitation)
    assert invitation.participant.email == "niran.chai@customs.example", invitation.participant


def read_returned_mail(service):
    """A bounce, a policy block and an automatic reply about three of the mails sent, saved
    as files and read with `followup bounces`; the bounced address is listed undeliverable."""
    print("returned mail read with `followup bounces`: a bounce, a policy block, an automatic reply")
    admin = service.admin
    sent = expect(op("list_mailings").sync_detailed(client=admin, per_page=200), 200).items
    bounced = next(m for m in sent if m.kind == models.MailKind.INVITATION)
    mails = [bounced] + [m for m in sent if m.recipient != bounced.recipient][:2]
    assert len(mails) == 3, f"three mails to answer for: {sent}"
    files = []
    for (kind, fixture), mail in zip(RETURNED.items(), mails):
        text = ((FIXTURES / fixture).read_text().replace("%RECIPIENT%", mail.recipient)
                .replace("%ENVELOPE%", "followup@localhost")
                .replace("%MESSAGE_ID%", mail.message_id.strip("<>")))
        path = service.dir / f"{kind}.eml"
        path.write_text(text)
        files.append(str(path))
    said = subprocess.run([service.binary, "bounces", *files], env=service.env, check=True,
                          capture_output=True, text=True).stdout
    assert said.count(": recorded\n") == 3, said
    listed = expect(op("list_addresses").sync_detailed(client=admin), 200)
    assert [a.address for a in listed.items] == [mails[0].recipient], listed
    assert listed.items[0].state == models.AddressState.UNDELIVERABLE, listed.items[0]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/followup"
    receiver = WebhookReceiver()
    try:
        service = Service(binary)
        try:
            flow(service, receiver)
        except BaseException:
            print((service.dir / "service.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            service.stop()
    finally:
        receiver.stop()
    print("\nclient flow: passed")


if __name__ == "__main__":
    main()
