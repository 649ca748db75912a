"""Three instances of the service on one PostgreSQL database, proven together (run by
scripts/instances.sh, which builds the binary and makes the database):

1. A round of COUNT participants is scheduled through instance A; the three instances'
   schedulers and mail workers share its outbox, delivering to a loopback SMTP server
   (scripts/smtp_sink.py) that takes a while per mail.
2. 50 submissions of one personal link are sent at once, spread across the three instances:
   they must make exactly one reply with 50 revisions.
3. Instance A is killed with SIGKILL during delivery (its claimed mail is taken over by the
   others once its lease runs out), then the SMTP server is stopped for a few seconds and
   started again.
4. Every invitation must reach the SMTP server, none may be failed or still claimed after
   the lease; mail delivered twice (same Message-ID, the documented at-least-once case) is
   counted and printed.

Each wait is bounded; the script exits non-zero with the reason when a check fails.
Usage: instances.py BIN DATABASE_URL WORK_DIR [COUNT]"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, timedelta

binary, database_url, work = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 300
LEASE_SECS = 5
OUTAGE_SECS = 4
SINK_DELAY_MS = 60
SUBMISSIONS = 50


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    return subprocess.run(["psql", database_url, "-tAc", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def call(base, method, path, body=None, key=None, timeout=30):
    """(status, parsed JSON or None); status 0 when no answer came."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(base + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, None


def wait_until(what, seconds, check, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    fail(f"{what}: not within {seconds} s")


def fail(reason):
    print(f"instances: FAILED: {reason}", file=sys.stderr)
    for log in sorted(os.listdir(work)):
        if log.endswith(".log"):
            with open(os.path.join(work, log), encoding="utf-8", errors="replace") as f:
                tail = f.read()[-3000:]
            print(f"--- {log} (end)\n{tail}", file=sys.stderr)
    sys.exit(1)


class Sink:
    """The loopback SMTP server, started and stopped as a process; its mail log survives."""

    def __init__(self):
        self.port, self.log, self.process = free_port(), os.path.join(work, "sink.jsonl"), None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(__file__), "smtp_sink.py"),
             str(self.port), self.log, str(SINK_DELAY_MS)])
        wait_until("the SMTP server listening", 10, self.listening, 0.05)

    def listening(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self):
        self.process.kill()
        self.process.wait()

    def received(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.endswith("\n")]


def start_instance(name, sink, secret):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, BIND=f"127.0.0.1:{port}",
               DATA_DIR=os.path.join(work, name), LOG_LEVEL="warn",
               FOLLOWUP_TOKEN_SECRET=secret,
               FOLLOWUP_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
               FOLLOWUP_SMTP_TIMEOUT_SECS="3",
               FOLLOWUP_MAIL_LEASE_SECS=str(LEASE_SECS),
               FOLLOWUP_MAIL_RETRY_BASE_SECS="1", FOLLOWUP_MAIL_MAX_ATTEMPTS="30",
               FOLLOWUP_MAIL_POLL_INTERVAL_MS="100", FOLLOWUP_MAIL_BATCH_SIZE="4",
               FOLLOWUP_MAIL_CONCURRENCY="2", FOLLOWUP_SCHEDULER_INTERVAL_SECS="1",
               # 50 submissions of one link at once: past a link's revisions an hour.
               FOLLOWUP_REVISIONS_PER_HOUR="1000")
    log = open(os.path.join(work, f"{name}.log"), "w", encoding="utf-8")
    process = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_until(f"instance {name} ready", 30, lambda: call(base, "GET", "/readyz")[0] == 200)
    return base, process


def setup_round(base, key):
    """A workshop of `count` participants in a round that opened two days ago, scheduled
    and opened; the token of one personal link."""
    def ok(method, path, body=None):
        status, answer = call(base, method, path, body, key)
        if status not in (200, 201):
            fail(f"{method} {path}: {status} {answer}")
        return answer

    codes = [a["code"] for a in ok("GET", "/v1/administrations?per_page=200")["items"]]
    workshop = ok("POST", "/v1/workshops", {
        "title": "Instances workshop", "topic": "AEO", "scope": "regional",
        "start_date": "2019-12-10", "end_date": "2019-12-12", "is_virtual": True})
    for i in range(count):
        ok("POST", f"/v1/workshops/{workshop['id']}/participants", {
            "name": f"Officer {i}", "email": f"officer{i}@customs.example.org",
            "administration": codes[i % len(codes)]})
    round_ = ok("POST", "/v1/rounds", {"title": "Instances round", "round_number": 1,
                                       "fiscal_year": "2019/20", "questionnaire_id": 1})
    opened = (date.today() - timedelta(days=2)).isoformat()
    ok("POST", f"/v1/rounds/{round_['id']}/workshops",
       {"workshop_id": workshop["id"], "opens_on": opened})
    ok("POST", f"/v1/rounds/{round_['id']}/schedule", {})
    ok("POST", f"/v1/rounds/{round_['id']}/open", {})
    first = ok("GET", f"/v1/rounds/{round_['id']}/invitations?per_page=1")["items"][0]
    return ok("POST", f"/v1/invitations/{first['id']}/link", {})["token"]


def submit_at_once(bases, token):
    """SUBMISSIONS submissions of one link at once, round-robin over `bases`; their statuses."""
    statuses, start = [None] * SUBMISSIONS, threading.Barrier(SUBMISSIONS)

    def submit(i):
        body = {"answers": {
            "follow_up_actions": {"choices": ["share_materials"]},
            "lessons_applied": {"text": f"Submission {i} of the same link."},
            "direct_effects": {"yes": i % 2 == 0}, "efficiency_improved": {"yes": True},
            "new_projects": {"yes": False}}}
        start.wait()
        statuses[i] = call(bases[i % len(bases)], "PUT", f"/v1/respond/{token}", body)[0]

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(SUBMISSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def main():
    psql("SELECT 1")
    sink = Sink()
    sink.start()
    secret = secrets.token_hex(32)
    key = subprocess.run([binary, "keys", "create", "--role", "admin", "--name", "instances"],
                         env=dict(os.environ, DATABASE_URL=database_url,
                                  DATA_DIR=os.path.join(work, "a"), FOLLOWUP_TOKEN_SECRET=secret),
                         check=True, capture_output=True, text=True).stdout
    key = next(word for word in key.split() if word.startswith("fu_"))
    instances = {name: start_instance(name, sink, secret) for name in ("a", "b", "c")}
    bases = [base for base, _ in instances.values()]
    started = time.monotonic()
    token = setup_round(bases[0], key)
    print(f"round of {count} invitations scheduled in {time.monotonic() - started:.1f} s")

    statuses = submit_at_once(bases, token)
    print(f"{SUBMISSIONS} submissions of one link across 3 instances: {dict(Counter(statuses))}")
    if any(status != 200 for status in statuses):
        fail(f"every submission should be answered 200: {statuses}")
    replies = psql("SELECT count(*) FROM replies")
    revisions = psql("SELECT count(*) FROM reply_revisions")
    print(f"replies: {replies}, revisions: {revisions}")
    if (replies, revisions) != ("1", str(SUBMISSIONS)):
        fail(f"expected 1 reply with {SUBMISSIONS} revisions")

    wait_until("delivery under way", 60, lambda: len(sink.received()) >= count // 5, 0.05)
    _, victim = instances["a"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    claimed = psql("SELECT count(*) FROM mailings WHERE status = 'queued' AND leased_until > now()")
    print(f"instance a killed (SIGKILL) after {len(sink.received())} mails received; "
          f"mail claimed at that moment: {claimed}")

    wait_until("more delivery", 60, lambda: len(sink.received()) >= count // 2, 0.05)
    sink.stop()
    print(f"SMTP server stopped for {OUTAGE_SECS} s after {len(sink.received())} mails")
    time.sleep(OUTAGE_SECS)
    sink.start()

    invitations = int(psql("SELECT count(*) FROM mailings WHERE kind = 'invitation'"))
    if invitations != count:
        fail(f"{invitations} invitations queued, {count} expected")
    wanted = set(psql("SELECT message_id FROM mailings WHERE kind = 'invitation'").split())
    wait_until("every invitation received", 120,
               lambda: wanted <= {m["message_id"] for m in sink.received()}, 0.5)
    wait_until("every mail sent", 30,
               lambda: psql("SELECT count(*) FROM mailings WHERE status <> 'sent'") == "0", 0.5)
    took = time.monotonic() - started
    time.sleep(LEASE_SECS + 1)
    claimed = psql("SELECT count(*) FROM mailings WHERE leased_until > now()")
    failed = psql("SELECT count(*) FROM mailings WHERE status = 'failed'")
    received = Counter(m["message_id"] for m in sink.received())
    duplicates = {mid: n for mid, n in received.items() if n > 1}
    attempts = psql("SELECT coalesce(max(attempts), 0) FROM mailings")
    print(f"every mail sent {took:.1f} s after scheduling: {len(received)} distinct mails "
          f"received ({len(wanted)} invitations), {sum(received.values())} deliveries, "
          f"{len(duplicates)} delivered more than once (at-least-once: "
          f"{sum(duplicates.values()) - len(duplicates)} extra copies); "
          f"most attempts of one mail: {attempts}; failed: {failed}; "
          f"claimed after the lease: {claimed}")
    for message_id, copies in sorted(duplicates.items()):
        print(f"  duplicate: {message_id} received {copies} times")
    if failed != "0" or claimed != "0":
        fail("no mail may fail or stay claimed after the lease")
    for _, process in instances.values():
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    sink.stop()
    print("instances: all checks passed")


try:
    main()
finally:
    for child in subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True,
                                text=True).stdout.split():
        try:
            os.kill(int(child), signal.SIGKILL)
        except ProcessLookupError:
            pass
