"""The answering page in a real browser: Debian's Chromium driven by Playwright.

A service is started on its embedded defaults (SQLite under a temporary folder, mail
written as .eml files), a round is scheduled through the API, and each officer opens the
link of the invitation mail the service wrote. Every page state is checked with axe-core
(WCAG 2.2 A and AA rules), and the HTML the service sent for every page, as sent, with the
Nu Html Checker (html_check.py: one run at the end, any error fails), with the HTML part of
an invitation mail. Besides filling in and sending the form (with the mouse and with the
keyboard alone), what a person sees is checked:

- a focused radio button has an outer ring (outline with an offset, no inset shadow) and
  still shows its dot: the pixel at its centre is the same focused or not;
- an error summary link focuses its field and shows the question's heading and the error
  message above it, on a desktop and at 320 px;
- every radio group ends with "No answer", checked when nothing is chosen; picking it and
  sending takes a stored answer back;
- each question's text is a heading (h2); the page's h1 takes at most two lines at 320 px;
- dates read as "09:00 on Friday 3 July 2020, Malaysia time (UTC+8)", never with a zone id;
- the page at / (links to the API documentation and the OpenAPI document) and the favicon
  every page links; no page asks for anything that is not there (no 404).

The form, the confirmation and the page at / are photographed, into docs/ when
SCREENSHOTS=docs (the committed pictures), else into the temporary folder, so a test run
leaves the tree as it was.

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
import zlib
import zoneinfo
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from html_check import HtmlPages

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SHOTS_TO_DOCS = os.environ.get("SCREENSHOTS") == "docs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Every IANA zone id with a slash ("Asia/Kuala_Lumpur"): none may show on a page. A bare
# regex would also match the service's own name, "WCO ROCB Asia/Pacific".
ZONE_IDS = {zone for zone in zoneinfo.available_timezones() if "/" in zone}
ZONE_LIKE = re.compile(r"\b[A-Z][a-z]+(?:/[A-Z][A-Za-z_+-]+)+")
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# A moment as the pages write it: "09:00 on Friday 3 July 2020, Malaysia time (UTC+8)".
MOMENT = WEEKDAY.join([r"\d\d:\d\d on ", rf" \d{{1,2}} {MONTH} \d{{4}}, [A-Z][A-Za-z ]+ time \(UTC[+\u2212-]\d{{1,2}}(?::\d\d)?\)"])
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
    service.mail_html = {}
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        match = re.search(re.escape(service.base) + r"/respond/[A-Za-z0-9_-]+", text)
        assert match, f"a link to the answering page in {path.name}:\n{text}"
        to = message["To"].addresses[0].addr_spec
        links[to] = match.group(0)
        html_part = message.get_body(("html",))
        assert html_part is not None, f"{path.name} has no HTML part"
        service.mail_html[to] = html_part.get_content()
    return links


def check_mail_html(browser, html):
    """The HTML part of a mail is a whole document, checked by the Nu Html Checker too."""
    start = html.lstrip()[:15].lower()
    assert start == "<!doctype html>", f"the mail's HTML part starts with {start!r}"
    assert re.search(r'<html lang="en">', html), "the mail's HTML part has <html lang=\"en\">"
    title = re.search(r"<title>([^<]+)</title>", html)
    assert title and title.group(1).strip(), "the mail's HTML part has a non-empty <title>"
    browser.html.add("the invitation mail's HTML part", html)
    print(f"  the invitation mail's HTML part: a whole document, titled {title.group(1).strip()!r}")


class Browser:
    """One Chromium; pages are checked with axe and must not reach another host."""

    def __init__(self, playwright, base, shots):
        self.base = base
        self.shots = shots
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.foreign = []
        self.rules = set()
        self.html = HtmlPages()
        self.missing = []                          # subresources answered 404
        self.console = []                          # console errors: (text, url)
        self.error_pages = set()                   # documents answered 4xx on purpose (422, 404)

    def page(self, **options):
        # axe is injected as a script, which the page's own policy forbids.
        context = self.browser.new_context(bypass_csp=True, **options)
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith(self.base) else self.foreign.append(r.url))
        page.on("response", self._response)
        page.on("console", lambda m: self.console.append((m.text, m.location.get("url", "")))
                if m.type == "error" else None)
        self.html.watch(page)
        return page

    def _response(self, response):
        # Playwright reports no request for a /favicon.ico (microsoft/playwright#7493): each
        # page's icon is fetched by links_the_icon instead.
        if response.request.resource_type == "document":
            # The page of an unknown link (404) and the form with errors (422) say so in their
            # status, and Chromium logs it: those are meant.
            if response.status >= 400:
                self.error_pages.add(response.url.split("#")[0])
        elif response.status == 404:
            self.missing.append(f"{response.request.resource_type} {response.url}")

    def check_nothing_missing(self):
        """No subresource answered 404 and the console logged no error (a 404 or else) on any
        page, but the status of a page meant to fail."""
        assert not self.missing, f"subresources answered 404: {self.missing}"
        unexpected = [(text, url) for text, url in self.console if url.split("#")[0] not in self.error_pages]
        not_found = [f"{text} ({url})" for text, url in unexpected if "404" in text]
        assert not not_found, "the console logged 404s:\n" + "\n".join(not_found)
        assert not unexpected, "the console logged errors:\n" + "\n".join(f"{t} ({u})" for t, u in unexpected)
        print(f"browser: no subresource answered 404, no console error but the status of "
              f"{len(self.error_pages)} pages meant to fail (404, 422)")

    def axe(self, page, state):
        self.html.name(state)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        for group in ("passes", "incomplete", "inapplicable", "violations"):
            self.rules.update(rule["id"] for rule in result[group])
        violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in result["violations"]]
        assert not violations, f"axe on {state}:\n" + "\n".join(violations)
        print(f"  axe: {state}: no violations ({len(result['passes'])} rules passed)")
        no_zone_ids(page, state)
        links_the_icon(page, state)


def no_zone_ids(page, state):
    """No time zone id ("Asia/Kuala_Lumpur") in what the page shows or its title."""
    text = page.evaluate("document.title + '\\n' + document.body.innerText")
    found = [m for m in ZONE_LIKE.findall(text) if m in ZONE_IDS]
    assert not found, f"{state} shows time zone ids {found}:\n{text}"


def links_the_icon(page, state):
    """The page links /favicon.ico, and it is there: fetched by the page, as a tab would."""
    icon = page.evaluate("""async () => {
        const link = document.querySelector('link[rel~=icon]');
        if (!link) return null;
        const r = await fetch(link.href);
        return {href: link.href, status: r.status, type: r.headers.get('content-type'),
                size: (await r.arrayBuffer()).byteLength};
    }""")
    origin = "/".join(page.url.split("/", 3)[:3])
    assert icon and icon["href"] == origin + "/favicon.ico", f"{state} links the icon: {icon}"
    assert icon["status"] == 200 and icon["type"] == "image/x-icon" and icon["size"] > 0, \
        f"{state}: its icon answers {icon}"
    return icon


def picture(page, clip):
    """The pixels (rows of (r, g, b)) of the viewport's area `clip`, from a screenshot."""
    png = page.screenshot(clip=clip)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        kind = png[at + 4:at + 8]
        chunks[kind] = chunks.get(kind, b"") + png[at + 8:at + 8 + length]
        at += 12 + length
    header = chunks[b"IHDR"]
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    assert header[8] == 8 and header[9] in (2, 6) and header[12] == 0, f"an unexpected PNG: {header!r}"
    size = 3 if header[9] == 2 else 4                 # RGB or RGBA, 8 bits each
    data, stride = zlib.decompress(chunks[b"IDAT"]), width * size
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):                       # PNG's row filters undone
            a = line[i - size] if i >= size else 0
            b, c = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                guess = a + b - c
                nearest = min((abs(guess - a), 0, a), (abs(guess - b), 1, b), (abs(guess - c), 2, c))[2]
                line[i] = (line[i] + nearest) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, size)])
        previous = line
    return rows


def looks(page, selector):
    """How the round control `selector` looks (scrolled into view if need be): the pixels of
    the circle it draws, but its antialiased edge, and the colour of its centre."""
    element = page.locator(selector)
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    clip = {"x": round(box["x"]), "y": round(box["y"]), "width": round(box["width"]),
            "height": round(box["height"])}
    rows = picture(page, clip)
    middle_x, middle_y = (clip["width"] - 1) / 2, (clip["height"] - 1) / 2
    radius = min(clip["width"], clip["height"]) / 2 - 2
    inside = [colour for y, row in enumerate(rows) for x, colour in enumerate(row)
              if (x - middle_x) ** 2 + (y - middle_y) ** 2 <= radius ** 2]
    return {"inside": inside, "centre": rows[clip["height"] // 2][clip["width"] // 2], "clip": clip}


def focus_ring(page, selector):
    """The computed focus style of the element `selector`, which must have the keyboard's focus."""
    return page.evaluate("""selector => {
        const e = document.querySelector(selector), s = getComputedStyle(e);
        return {focused: document.activeElement === e, visible: e.matches(':focus-visible'),
                checked: e.checked, outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth,
                outlineColor: s.outlineColor, outlineOffset: s.outlineOffset, boxShadow: s.boxShadow};
    }""", selector)


def check_focused_checked_radio(page, selector):
    """A checked radio button focused with the keyboard: an outer ring, no inset shadow."""
    ring = focus_ring(page, selector)
    assert ring["focused"] and ring["visible"], f"{selector} has the keyboard's focus: {ring}"
    assert ring["checked"], f"{selector} is still checked when focused: {ring}"
    assert page.locator(selector + ":checked").count() == 1
    assert ring["outlineStyle"] != "none" and float(ring["outlineWidth"].rstrip("px")) > 0, \
        f"{selector} focused has no outline: {ring}"
    assert float(ring["outlineOffset"].rstrip("px")) > 0, f"{selector}: the outline is not outside: {ring}"
    assert "inset" not in ring["boxShadow"], f"{selector} focused has an inset shadow: {ring}"
    print(f"  focused checked radio {selector}: outline {ring['outlineStyle']} {ring['outlineWidth']} "
          f"{ring['outlineColor']} offset {ring['outlineOffset']}, box-shadow {ring['boxShadow']}")


def check_dot_shows(page, selector, focused, unfocused, unchecked):
    """The checked button's circle looks the same focused as not (the ring is drawn outside
    it), and its centre is not an unchecked button's."""
    changed = sum(a != b for a, b in zip(focused["inside"], unfocused["inside"]))
    if changed or len(focused["inside"]) != len(unfocused["inside"]):
        path = Path(tempfile.gettempdir()) / f"followup-{selector.lstrip('#')}-focused.png"
        page.screenshot(path=str(path), clip={"x": focused["clip"]["x"] - 10, "y": focused["clip"]["y"] - 10,
                                              "width": focused["clip"]["width"] + 20,
                                              "height": focused["clip"]["height"] + 20})
        raise AssertionError(f"{selector}: {changed} of {len(unfocused['inside'])} pixels of its circle "
                             f"change when focused (centre {focused['centre']}, not focused "
                             f"{unfocused['centre']}): {path}")
    assert focused["centre"] != unchecked["centre"], \
        f"{selector}: the centre of a checked button ({focused['centre']}) looks unchecked ({unchecked['centre']})"
    print(f"  {selector}: the {len(focused['inside'])} pixels of its circle the same focused and not; "
          f"its dot {focused['centre']}, an unchecked button's centre {unchecked['centre']}")


def in_view(page, selector):
    """The element's box, and whether it lies within the viewport."""
    return page.evaluate("""selector => {
        const r = document.querySelector(selector).getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: innerHeight, inside: r.top >= 0 && r.bottom <= innerHeight};
    }""", selector)


def follow_first_error_link(page, code, target, error_id, state):
    """The summary's first link focuses `target`; what names the field and its message show
    above it: the question's heading for the answer itself, the field's own label for the
    text of "Other" or a comment (which sit below every option of the question)."""
    link = page.locator(".error-summary a").first
    assert link.get_attribute("href") == f"#{target}", link.get_attribute("href")
    link.click()
    assert page.evaluate("location.hash") == f"#{target}", "the summary links to the field"
    active = page.evaluate("document.activeElement && document.activeElement.id")
    assert active == target, f"{state}: after the summary link, #{active} has the focus, not #{target}"
    scrolled = page.evaluate("scrollY")
    sub_field = target.endswith(("-other", "-comment"))
    names_it = (("the field's label", f"label[for='{target}']") if sub_field
                else ("the question's heading", f"#question-{code} h2.question-heading"))
    for what, selector in [names_it, ("the error message", f"#{error_id}"), ("the field", f"#{target}")]:
        box = in_view(page, selector)
        assert box["inside"], (f"{state}: after the summary link (scrolled to {scrolled}), {what} "
                               f"({selector}) is out of view: {box}")
    print(f"  {state}: the summary link focused #{target}; {names_it[0]} and message in view "
          f"(scrolled {scrolled} px)")
    return scrolled


def check_questions(page, state):
    """Each question's text is an h2; each radio group ends with "No answer"."""
    headings = page.locator("h2.question-heading")
    assert headings.count() == len(QUESTIONS), f"{state}: {headings.count()} question headings"
    for n, question in enumerate(QUESTIONS):
        text = " ".join(headings.nth(n).inner_text().split())
        assert text == f"{n + 1}. {question['label']}", f"{state}: heading {n + 1} reads {text!r}"
    in_legends = page.locator("fieldset > legend > h2.question-heading").count()
    assert in_legends == sum(q["type"] != "text" for q in QUESTIONS), f"{state}: {in_legends} in legends"
    groups = page.evaluate("""() => {
        const names = [...new Set([...document.querySelectorAll('input[type=radio]')].map(r => r.name))];
        return names.map(name => {
            const radios = [...document.querySelectorAll(`input[type=radio][name="${name}"]`)];
            const last = radios[radios.length - 1];
            return {name, value: last.value, checked: last.checked, id: last.id,
                    label: document.querySelector(`label[for="${last.id}"]`).innerText.trim(),
                    others: radios.filter(r => r.checked && r !== last).length};
        });
    }""")
    return groups


def h1_lines(page):
    return page.evaluate("""() => {
        const h = document.querySelector('h1'), s = getComputedStyle(h);
        return {text: h.innerText, height: h.getBoundingClientRect().height, lineHeight: parseFloat(s.lineHeight)};
    }""")


def check_h1_fits(page, state, most=2):
    h = h1_lines(page)
    lines = round(h["height"] / h["lineHeight"])
    assert lines <= most, f"{state}: the h1 {h['text']!r} takes {lines} lines at 320 px: {h}"
    return lines


def no_horizontal_scroll(page, what, viewport=320):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport, f"{what} is {width} px wide at {viewport} px"


def tab_to(page, element_id):
    """Moves the focus with the Tab key alone until `element_id` has it."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def tab_to_group(page, name):
    """Tabs into the radio group `name`; the Tab key lands on its checked button. Its id."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return page.evaluate("document.activeElement.id")
    raise AssertionError(f"Tab never reached the group {name}")


def recorded_questions(page):
    return page.locator("dl.answers dt").all_inner_texts()


def answer_every_type(browser, link):
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    assert page.title() == "Follow-up survey: WCO Regional Workshop on Risk Management · WCO ROCB A/P follow-up survey", page.title()
    assert page.inner_text("h1") == "Your follow-up survey", page.inner_text("h1")
    browser.axe(page, "the form")
    due = page.locator(".summary-row", has_text="Reply due").locator("dd").inner_text()
    assert re.fullmatch(MOMENT, due) and due.endswith(", Malaysia time (UTC+8)"), f"the due date reads {due!r}"
    print(f"  the due date reads {due!r}")
    groups = check_questions(page, "the form")
    assert [g["name"] for g in groups] == ["main_topic", "direct_effects", "usefulness"], groups
    for g in groups:
        assert g["value"] == "" and g["label"] == "No answer" and g["checked"] and not g["others"], \
            f"the group {g['name']} ends with a checked \"No answer\": {g}"
    print(f"  {len(QUESTIONS)} question headings (h2); {len(groups)} radio groups end with a checked \"No answer\"")
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
    saved = " ".join(page.inner_text(".panel-body").split())
    assert re.fullmatch(r"Revision 1, saved " + MOMENT, saved) and saved.endswith("Malaysia time (UTC+8)"), saved
    browser.axe(page, "the confirmation")
    page.screenshot(path=str(browser.shots / "answering-confirmation.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('footer')).display") == "none"
    page.emulate_media(media="screen")

    # Revise: one answer changed; then an error shown and fixed.
    page.click("text=change your answers")
    assert page.is_checked("#q-actions-2"), "the form holds the current answers"
    browser.html.name("the form with the current answers")
    replied = page.locator(".notice", has_text="You replied on").inner_text()
    assert re.search(r"You replied on " + MOMENT.replace("[A-Z][A-Za-z ]+ time", "Malaysia time"), replied), replied
    no_zone_ids(page, "the form with the current answers")
    page.check("#q-direct_effects-1")             # No
    page.fill("#q-actions-other", "")
    page.click("button[type=submit]")
    assert page.title().startswith("Error:"), page.title()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Describe the other answer" in summary.inner_text()
    browser.axe(page, "the form with an error")
    assert "correct the answers below" in summary.inner_text(), summary.inner_text()
    follow_first_error_link(page, "actions", "q-actions-other", "q-actions-other-error",
                            "the form with an error at 1024 px")
    assert page.locator("#q-actions-other").is_visible()
    assert page.is_checked("#q-direct_effects-1"), "what was entered is kept"
    page.fill("#q-actions-other", "Briefed the risk committee again")
    page.click("button[type=submit]")
    page.wait_for_url("**/done*")
    assert "Revision 2" in page.inner_text("main")
    browser.html.name("the confirmation of a revision")
    page.context.close()


def answer_with_the_keyboard(browser, link):
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    browser.html.name("another officer's form")
    tab_to(page, "q-actions")
    page.keyboard.press("Space")
    # The Tab key lands on a group's checked button: "No answer", the last. How it looks, not
    # focused yet, and an unchecked button, to compare with it focused.
    unfocused = looks(page, "#q-main_topic-3")
    unchecked = looks(page, "#q-main_topic")
    assert tab_to_group(page, "main_topic") == "q-main_topic-3", "Tab lands on the checked \"No answer\""
    check_focused_checked_radio(page, "#q-main_topic-3")
    check_dot_shows(page, "#q-main_topic-3", looks(page, "#q-main_topic-3"), unfocused, unchecked)
    page.keyboard.press("ArrowUp")                # Other
    page.keyboard.press("ArrowUp")                # the second topic
    assert page.is_checked("#q-main_topic-1") and not page.is_checked("#q-main_topic-3")
    assert tab_to_group(page, "direct_effects") == "q-direct_effects-2"
    page.keyboard.press("ArrowDown")              # from the last button round to the first: Yes
    assert page.is_checked("#q-direct_effects")
    # Yes, checked by the keyboard and focused: the ring outside; its dot as when the focus
    # has moved on.
    check_focused_checked_radio(page, "#q-direct_effects")
    yes_focused = looks(page, "#q-direct_effects")
    tab_to(page, "q-lessons")
    check_dot_shows(page, "#q-direct_effects", yes_focused, looks(page, "#q-direct_effects"), unchecked)
    page.keyboard.type("Shared the checklist with the audit team.")
    tab_to(page, "submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/done*")
    text = page.inner_text("main")
    assert "Revision 1" in text and "Post-clearance audit" in text, text
    browser.html.name("another officer's confirmation")
    assert "Have you realized any direct effects?" in recorded_questions(page), recorded_questions(page)
    page.context.close()


def take_an_answer_back(browser, service, link):
    """Yes/no answered "Yes" (by the keyboard step), then "No answer" picked and sent."""
    token = link.rsplit("/", 1)[1]
    reply = json.loads(urllib.request.urlopen(f"{service.base}/v1/respond/{token}", timeout=30).read())["reply"]
    assert reply["answers"]["direct_effects"], reply
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    browser.html.name("the form before taking an answer back")
    assert page.is_checked("#q-direct_effects") and not page.is_checked("#q-direct_effects-2")
    page.check("#q-direct_effects-2")             # No answer
    assert not page.is_checked("#q-direct_effects")
    page.click("button[type=submit]")
    page.wait_for_url("**/done*")
    browser.html.name("the confirmation after taking an answer back")
    assert "Revision 2" in page.inner_text("main")
    recorded = recorded_questions(page)
    assert "Have you realized any direct effects?" not in recorded, f"still recorded: {recorded}"
    assert "Which topic helped most?" in recorded, recorded
    reply = json.loads(urllib.request.urlopen(f"{service.base}/v1/respond/{token}", timeout=30).read())["reply"]
    assert reply["revision"] == 2 and "direct_effects" not in reply["answers"], reply
    page.goto(link)
    assert page.is_checked("#q-direct_effects-2"), "the form shows \"No answer\" again"
    browser.html.name("the form after taking an answer back")
    print(f"  \"No answer\" sent: the question is no longer recorded (revision 2: {', '.join(sorted(reply['answers']))})")
    page.context.close()


def home_page(browser, service):
    page = browser.page(viewport={"width": 1024, "height": 400})   # the picture: the page's own height
    response = page.goto(service.base + "/")
    assert response.status == 200 and response.headers["content-type"].startswith("text/html"), response.status
    browser.axe(page, "the page at /")
    assert page.inner_text("h1") == "Follow-up Actions Survey", page.inner_text("h1")
    assert "Follow-up survey of workshop participants" in page.inner_text(".service-name")
    for href in ["/docs/", "/openapi.json"]:
        links = page.locator(f'a[href="{href}"]')
        assert links.count() == 1 and links.first.is_visible(), f"a link to {href} on /"
        status = page.request.get(service.base + href).status
        assert status == 200, f"{href} answers {status}"
    icon = links_the_icon(page, "the page at /")
    page.screenshot(path=str(browser.shots / "home-page.png"), full_page=True)
    print(f"  / links /docs/ and /openapi.json (both 200); /favicon.ico 200, {icon['size']} bytes")
    page.context.close()


def small_screen(browser, link):
    page = browser.page(viewport={"width": 320, "height": 640})
    page.goto(link)
    no_horizontal_scroll(page, "the form")
    browser.html.name("the revised form at 320 px")
    lines = check_h1_fits(page, "the form")
    # A comment without a value: the summary links to the scale's first button.
    page.check("#q-usefulness-5")                 # No answer
    page.fill("#q-usefulness-comment", "Hard to say")
    page.click("button[type=submit]")
    assert page.title().startswith("Error:"), page.title()
    browser.html.name("the form with an error at 320 px")
    no_horizontal_scroll(page, "the form with an error")
    follow_first_error_link(page, "usefulness", "q-usefulness", "q-usefulness-error",
                            "the form with an error at 320 px")
    # The first question's "other" field: its heading is furthest above its field.
    page.check("#q-actions-2")
    page.fill("#q-actions-other", "")
    page.fill("#q-usefulness-comment", "")
    page.click("button[type=submit]")
    assert page.title().startswith("Error:"), page.title()
    browser.html.name("the form with an error in an other field at 320 px")
    follow_first_error_link(page, "actions", "q-actions-other", "q-actions-other-error",
                            "the form with an error in an other field at 320 px")
    page.goto(link + "/done")
    no_horizontal_scroll(page, "the confirmation")
    browser.html.name("the confirmation at 320 px")
    check_h1_fits(page, "the confirmation")
    print(f"  the form's h1 takes {lines} line{'s' if lines > 1 else ''} at 320 px")
    page.context.close()


def closed_and_unknown(browser, service, round_id, link):
    service.api("POST", f"/v1/rounds/{round_id}/close", {})
    page = browser.page(viewport={"width": 1024, "height": 900})
    page.goto(link)
    text = page.inner_text("main")
    assert "This survey round is closed" in text, text
    assert "Briefed the risk committee again" in text, text
    assert page.locator("form").count() == 0, "read only"
    assert page.inner_text("h1") == "Your follow-up survey", page.inner_text("h1")
    browser.axe(page, "a closed round")
    page.set_viewport_size({"width": 320, "height": 640})
    no_horizontal_scroll(page, "a closed round")
    check_h1_fits(page, "a closed round")
    response = page.goto(service.base + "/respond/rv1-no-such-link")
    assert response.status == 404
    assert "This link does not work" in page.inner_text("main")
    browser.axe(page, "an unknown link")
    page.context.close()


def not_for_me(browser, link):
    """From the form's link to "This survey is not for me": the form, its errors, sent."""
    page = browser.page(viewport={"width": 1024, "height": 800})
    page.goto(link)
    page.click("text=This survey is not for me, or I have changed post")
    assert page.url.endswith("/not-for-me"), page.url
    browser.axe(page, "the 'not for me' form")
    page.click("#submit")
    assert page.locator(".error-summary").is_visible(), "an empty form shows its errors"
    browser.axe(page, "the 'not for me' form with errors")
    page.fill("#name", "Niran Chai")
    page.fill("#email", "niran.chai@customs.example")
    page.fill("#note", "He took over the valuation unit in October.")
    page.click("#submit")
    page.wait_for_load_state()
    assert "that Niran Chai should answer" in page.inner_text(".notice"), page.inner_text("main")
    browser.axe(page, "the 'not for me' form, sent")
    page.screenshot(path=str(browser.shots / "not-for-me-form.png"), full_page=True)
    print("  the request is recorded; the page says so")
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
                ("an answer taken back with \"No answer\"", lambda: take_an_answer_back(browser, service, second)),
                ("no horizontal scrolling at 320 px, error links, the h1", lambda: small_screen(browser, first)),
                ("'this survey is not for me': the form, its errors, sent", lambda: not_for_me(browser, second)),
                ("a closed round's answers, an unknown link",
                 lambda: closed_and_unknown(browser, service, round_id, first)),
                ("the page at / and the favicon", lambda: home_page(browser, service)),
                ("the invitation mail's HTML", lambda: check_mail_html(
                    browser, service.mail_html["my.officer@customs.example"])),
            ]
            for name, step in steps:
                print(f"browser: {name}")
                step()
            assert not browser.foreign, f"requests to other hosts: {browser.foreign}"
            browser.check_nothing_missing()
            print("browser: no request left 127.0.0.1")
            print(f"browser: axe ran {len(browser.rules)} WCAG 2.2 A/AA rules: {', '.join(sorted(browser.rules))}")
            browser.browser.close()
        browser.html.check()
    finally:
        service.stop()
    print("browser tests passed")


if __name__ == "__main__":
    main(sys.argv[1])
