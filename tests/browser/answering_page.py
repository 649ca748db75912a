"""The answering page in a real browser: Debian's Chromium driven by Playwright.

A service is started on its embedded defaults (SQLite under a temporary folder, mail
written as .eml files), a round is scheduled through the API, and each officer opens the
link of the invitation mail the service wrote. Every page state is checked with axe-core
(WCAG 2.2 A and AA rules); the form and the confirmation are photographed, into docs/
when SCREENSHOTS=docs (the committed pictures), else into the temporary folder, so a test
run leaves the tree as it was.

Usage: python answering_page.py BINARY   (scripts/browser-test.sh installs what it needs)
"""

import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SHOTS_TO_DOCS = os.environ.get("SCREENSHOTS") == "docs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

QUESTIONS = [
    {"code": "actions", "type": "multiple_choice", "label": "Which follow-up actions did you take?",
     "help": "Tick every action taken.", "allow_other": True,
     "options": [{"code": "share_materials", "label": "Shared the training materials"},
                 {"code": "submit_report", "label": "Submitted a report to superiors"}]},
    {"code": "main_topic", "type": "single_choice", "label": "Which topic helped most?", "allow_other": True,
     "options": [{"code": "risk", "label": "Risk management"}, {"code": "audit", "label": "Post-clearance audit"}]},
    {"code": "direct_effects", "type": "yes_no", "label": "Have you realized any direct effects?",
     "help": "If yes, give examples in the comment."},
    {"code": "usefulness", "type": "scale", "label": "How useful was the workshop?",
     "help": "1 is not useful, 5 very useful.", "scale_min": 1, "scale_max": 5},
    {"code": "lessons", "type": "text", "label": "How did you apply the lessons learnt?"},
]


class Service:
    """The service on its embedded defaults, in a temporary folder."""

    def __init__(self, binary, *serve_args):
        self.dir = Path(tempfile.mkdtemp(prefix="followup-browser-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATA_DIR=str(self.dir), BIND=f"127.0.0.1:{self.port}",
                        LOG_LEVEL="warn", FOLLOWUP_SCHEDULER_INTERVAL_SECS="1",
                        FOLLOWUP_MAIL_POLL_INTERVAL_MS="200",
                        FOLLOWUP_RESPOND_REQUESTS_PER_MINUTE="100000")
        self.env.pop("DATABASE_URL", None)
        self.key = subprocess.run([binary, "keys", "create", "--role", "admin", "--name", "browser"],
                                  env=self.env, check=True, capture_output=True, text=True).stdout.strip()
        self.log = open(self.dir / "service.log", "w")
        self.process = subprocess.Popen([binary, "serve", *serve_args], env=self.env, stdout=self.log,
                                        stderr=self.log)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start: " + (self.dir / "service.log").read_text())

    def api(self, method, path, body=None, raw=False):
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            if raw:
                return text
            return json.loads(text) if text else None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def shots(self):
        """Where pictures go."""
        return ROOT / "docs" if SHOTS_TO_DOCS else self.dir


def schedule_round(service):
    """A workshop that ended seven months ago, two officers, a round asking every type."""
    version = service.api("POST", "/v1/questionnaires", {"title": "Every question type", "questions": QUESTIONS})
    # The survey opened about a week ago (six months after the workshop); it is due in two weeks.
    ended = date.today() - timedelta(days=190)
    workshop = service.api("POST", "/v1/workshops", {
        "title": "WCO Regional Workshop on Risk Management", "topic": "Risk management",
        "scope": "regional", "start_date": (ended - timedelta(days=3)).isoformat(),
        "end_date": ended.isoformat(), "venue": "Bangkok, Thailand"})
    for name, code in [("Siti Aminah", "MY"), ("Somchai Prasert", "TH")]:
        service.api("POST", f"/v1/workshops/{workshop['id']}/participants", {
            "name": name, "email": f"{code.lower()}.officer@customs.example", "administration": code})
    round_ = service.api("POST", "/v1/rounds", {"title": "Survey 2026", "round_number": 1,
                                                "fiscal_year": "2026/27", "questionnaire_id": version["id"]})
    service.api("POST", f"/v1/rounds/{round_['id']}/workshops", {"workshop_id": workshop["id"]})
    service.api("POST", f"/v1/rounds/{round_['id']}/schedule", {})
    return round_["id"]


def mailed_links(service, count):
    """The answering links of the invitation mails the file transport wrote."""
    mail_dir = service.dir / "mail"
    for _ in range(300):
        files = sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []
        if len(files) >= count:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"expected {count} mails in {mail_dir}")
    links = {}
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        match = re.search(re.escape(service.base) + r"/respond/[A-Za-z0-9_-]+", text)
        assert match, f"a link to the answering page in {path.name}:\n{text}"
        links[message["To"].addresses[0].addr_spec] = match.group(0)
    return links


class Browser:
    """One Chromium; pages are checked with axe and must not reach another host."""

    def __init__(self, playwright, base, shots):
        self.base = base
        self.shots = shots
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.foreign = []
        self.rules = set()

    def page(self, **options):
        # axe is injected as a script, which the page's own policy forbids.
        context = self.browser.new_context(bypass_csp=True, **options)
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith(self.base) else self.foreign.append(r.url))
        return page

    def axe(self, page, state):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        for group in ("passes", "incomplete", "inapplicable", "violations"):
            self.rules.update(rule["id"] for rule in result[group])
        violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in result["violations"]]
        assert not violations, f"axe on {state}:\n" + "\n".join(violations)
        print(f"  axe: {state}: no violations ({len(result['passes'])} rules passed)")


def no_horizontal_scroll(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{what} is {width} px wide at 320 px"


def tab_to(page, element_id):
    """Moves the focus with the Tab key alone until `element_id` has it."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def answer_every_type(browser, link):
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    assert page.title().startswith("Follow-up survey"), page.title()
    browser.axe(page, "the form")
    browser.shots.mkdir(exist_ok=True)
    page.screenshot(path=str(browser.shots / "answering-form.png"), full_page=True)
    page.check("#q-actions")                      # Shared the training materials
    page.check("#q-actions-2")                    # Other action
    page.fill("#q-actions-other", "Briefed the risk committee")
    page.check("#q-main_topic")
    page.check("#q-direct_effects")               # Yes
    page.fill("#q-direct_effects-comment", "Targeting found twice as many seizures")
    page.check("#q-usefulness-4")                 # 5
    page.fill("#q-lessons", "We rewrote our risk profiles with the workshop's method.")
    page.click("button[type=submit]")
    page.wait_for_url("**/done*")
    text = page.inner_text("main")
    for expected in ["Your answers are recorded", "Revision 1", "Briefed the risk committee",
                     "Targeting found twice as many seizures", "emailed"]:
        assert expected in text, f"{expected!r} on the confirmation:\n{text}"
    browser.axe(page, "the confirmation")
    page.screenshot(path=str(browser.shots / "answering-confirmation.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('footer')).display") == "none"
    page.emulate_media(media="screen")

    # Revise: one answer changed; then an error shown and fixed.
    page.click("text=change your answers")
    assert page.is_checked("#q-actions-2"), "the form holds the current answers"
    page.check("#q-direct_effects-1")             # No
    page.fill("#q-actions-other", "")
    page.click("button[type=submit]")
    assert page.title().startswith("Error:"), page.title()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Describe the other answer" in summary.inner_text()
    browser.axe(page, "the form with an error")
    page.click(".error-summary a")
    assert page.evaluate("location.hash") == "#q-actions-other", "the summary links to the field"
    assert page.locator("#q-actions-other").is_visible()
    assert page.is_checked("#q-direct_effects-1"), "what was entered is kept"
    page.fill("#q-actions-other", "Briefed the risk committee again")
    page.click("button[type=submit]")
    page.wait_for_url("**/done*")
    assert "Revision 2" in page.inner_text("main")
    page.context.close()


def answer_with_the_keyboard(browser, link):
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    tab_to(page, "q-actions")
    page.keyboard.press("Space")
    tab_to(page, "q-main_topic")
    page.keyboard.press("ArrowDown")              # the second topic
    tab_to(page, "q-direct_effects")
    page.keyboard.press("Space")
    tab_to(page, "q-lessons")
    page.keyboard.type("Shared the checklist with the audit team.")
    tab_to(page, "submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/done*")
    text = page.inner_text("main")
    assert "Revision 1" in text and "Post-clearance audit" in text, text
    page.context.close()


def small_screen(browser, link):
    page = browser.page(viewport={"width": 320, "height": 640})
    page.goto(link)
    no_horizontal_scroll(page, "the form")
    page.goto(link + "/done")
    no_horizontal_scroll(page, "the confirmation")
    page.context.close()


def closed_and_unknown(browser, service, round_id, link):
    service.api("POST", f"/v1/rounds/{round_id}/close", {})
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    text = page.inner_text("main")
    assert "This survey round is closed" in text, text
    assert "Briefed the risk committee again" in text, text
    assert page.locator("form").count() == 0, "read only"
    browser.axe(page, "a closed round")
    response = page.goto(service.base + "/respond/rv1-no-such-link")
    assert response.status == 404
    assert "This link does not work" in page.inner_text("main")
    browser.axe(page, "an unknown link")
    page.context.close()


def main(binary):
    service = Service(binary)
    try:
        round_id = schedule_round(service)
        links = mailed_links(service, 2)
        first, second = links["my.officer@customs.example"], links["th.officer@customs.example"]
        with sync_playwright() as playwright:
            browser = Browser(playwright, service.base, service.shots())
            steps = [
                ("every question type answered, confirmed, revised, an error fixed",
                 lambda: answer_every_type(browser, first)),
                ("answered with the keyboard alone", lambda: answer_with_the_keyboard(browser, second)),
                ("no horizontal scrolling at 320 px", lambda: small_screen(browser, first)),
                ("a closed round's answers, an unknown link",
                 lambda: closed_and_unknown(browser, service, round_id, first)),
            ]
            for name, step in steps:
                print(f"browser: {name}")
                step()
            assert not browser.foreign, f"requests to other hosts: {browser.foreign}"
            print("browser: no request left 127.0.0.1")
            print(f"browser: axe ran {len(browser.rules)} WCAG 2.2 A/AA rules: {', '.join(sorted(browser.rules))}")
            browser.browser.close()
    finally:
        service.stop()
    print("browser tests passed")


if __name__ == "__main__":
    main(sys.argv[1])
