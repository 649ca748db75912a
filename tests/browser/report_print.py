"""The printed report and the schedule preview as a person sees them, in Debian's Chromium.

The service runs on its embedded defaults with the demo data (the Survey 2020 of the Good
Practice Report). Its report is printed to PDF with Chromium's print to PDF, on A4 and on
a small page that forces tables across pages; `pdftotext` reads each page back:

- every table's title is on the page of its first row;
- a table cut by a page repeats its header row on the next (its rows never come first);
- the A4 print has the expected number of pages.

The report's HTML, as the service sent it, is checked with the Nu Html Checker
(html_check.py: any error fails) and, on screen, with axe-core (WCAG 2.2 A and AA rules): it
has a viewport meta tag, a caption on every table, and at 375 px (a phone) the page does not
scroll sideways: its charts scale down. The round's timeline (GET /v1/rounds/{id}/timeline, JSON)
is laid out as a table and photographed. A bounce for one officer of a scheduled round, read
with `followup bounces`, makes the timeline warn of an undeliverable address and Table 1
print each invitation's disposition; both are photographed, and that report is checked
like the first. Pictures go to docs/ with SCREENSHOTS=docs, else to the temporary folder.

Usage: python report_print.py BINARY   (scripts/browser-test.sh installs what it needs)
"""

import html
import re
import subprocess
import sys
import time
from pathlib import Path
from datetime import date, timedelta

from playwright.sync_api import sync_playwright

from answering_page import AXE, CHROMIUM, CHROMIUM_ARGS, WCAG_TAGS, Service
from html_check import HtmlPages

A4_PAGES = range(5, 16)


def pages_of(pdf):
    """The text of each page of `pdf`."""
    count = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
        if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout for n in range(1, count + 1)]


def squeeze(text):
    """Letters and digits only: PDF text breaks lines and words (`Sub-` `regional`) anywhere."""
    return re.sub(r"[^0-9A-Za-z]", "", text)


def first_row_label(table):
    """The text of the first cell of the table's first row."""
    rows = table["content"]["data"]["rows"]
    return rows[0]["workshop"]["title"]


def check_titles_stay_with_first_rows(report, pages, what):
    for table in report["tables"]:
        title = f"Table {table['number']}: {table['title']}"
        found = [n for n, text in enumerate(pages) if squeeze(title)[:50] in squeeze(text)]
        assert found, f"{what}: '{title}' is on no page"
        page = squeeze(pages[found[0]])
        after = page[page.index(squeeze(title)[:50]):]
        label = squeeze(first_row_label(table))[:20]
        assert label in after, f"{what}: the first row of table {table['number']} ('{label}') is not on page {found[0] + 1} with its title"
    print(f"  {what}: each of {len(report['tables'])} tables starts on the page of its title")


def check_cut_tables_repeat_their_header(report, pages, what):
    """A page that goes on with a table starts with the table's header row."""
    labels = {squeeze(row["workshop"]["title"])[:20] for table in report["tables"]
              for row in table["content"]["data"]["rows"]}
    continued = 0
    for n, text in enumerate(pages[1:], start=2):
        body = squeeze(text)
        if "Goodpractices" in body:
            break
        first_title = min((body.index(f"Table{t['number']}") for t in report["tables"]
                           if f"Table{t['number']}" in body), default=len(body))
        first_row = min((body.index(label) for label in labels if label in body[:first_title]),
                        default=None)
        if first_row is None:
            continue
        continued += 1
        assert body.startswith("Workshop"), f"{what}: page {n} goes on with a table without its header: {body[:120]!r}"
    print(f"  {what}: {continued} pages go on with a table, each under its header row")
    return continued


def print_report(browser, report_html, pdf, page_size=None):
    """Prints the report as Chromium does, on the report's own page size or `page_size`."""
    page = browser.new_page()
    page.set_content(report_html)
    if page_size:
        page.add_style_tag(content=f"@page {{ size: {page_size}; }}")
    page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
    page.close()


def on_screen(browser, report_html):
    """The report on a desktop screen and on a 375 px phone, as a browser shows it."""
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.set_content(report_html)
    viewport = page.evaluate("(document.querySelector('meta[name=viewport]') || {}).content || null")
    assert viewport and "width=device-width" in viewport, f"the report's viewport meta tag: {viewport!r}"
    tables = page.evaluate("""() => [...document.querySelectorAll('table')].map(t => ({
        section: t.closest('section') ? t.closest('section').id : null,
        caption: t.caption ? t.caption.innerText.trim() : null,
        first: t.firstElementChild ? t.firstElementChild.tagName : null}))""")
    assert tables, "the report has tables"
    without = [t for t in tables if not t.get("caption")]
    assert not without, f"tables without a caption: {without}"
    assert all(t["first"] == "CAPTION" for t in tables), f"a caption is its table's first child: {tables}"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
                  f"{', '.join(n['target'][0] for n in v['nodes'][:5])})" for v in result["violations"]]
    assert not violations, "axe on the report:\n" + "\n".join(violations)
    print(f"  on screen: viewport {viewport!r}; {len(tables)} tables, each with a caption; "
          f"axe: no violations ({len(result['passes'])} rules passed)")
    page.close()

    page = browser.new_page(viewport={"width": 375, "height": 667})
    page.set_content(report_html)
    width = page.evaluate("document.documentElement.scrollWidth")
    charts = page.evaluate("""() => [...document.querySelectorAll('svg')].map(svg => {
        const r = svg.getBoundingClientRect(), s = getComputedStyle(svg);
        return {section: svg.closest('section') ? svg.closest('section').id : null,
                left: r.left, right: r.right, width: r.width, height: r.height,
                maxWidth: s.maxWidth, cssHeight: s.height, viewBox: svg.getAttribute('viewBox')};
    })""")
    wide = [c for c in charts if c["right"] > 375 or c["left"] < 0]
    assert charts and not wide, f"charts wider than 375 px: {wide}"
    print(f"  at 375 px: {len(charts)} charts scale down to at most "
          f"{max(round(c['width']) for c in charts)} px (drawn {charts[0]['viewBox']})")
    overflowing = page.evaluate("""() => [...document.querySelectorAll('body > *, section > *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map(e => `${e.closest('section') ? '#' + e.closest('section').id + ' ' : ''}${e.tagName.toLowerCase()}`
                  + `: ${Math.round(e.getBoundingClientRect().width)} px wide, right edge at `
                  + `${Math.round(e.getBoundingClientRect().right)}`)""")
    assert width <= 375, (f"the report scrolls sideways at 375 px: {width} px wide; wider than the "
                          f"screen: {'; '.join(overflowing)}")
    print("  at 375 px: no sideways scrolling")
    page.close()


def draft_with_problems(service):
    """A draft round of a workshop that ended seven months ago and one without participants."""
    today = date.today()
    ended = today - timedelta(days=213)
    workshops = []
    for title, end, officers in [("WCO Regional Workshop on Customs Valuation", ended, ["MY", "TH", "TO"]),
                                 ("Sub-regional Workshop on Origin", today - timedelta(days=30), [])]:
        workshop = service.api("POST", "/v1/workshops", {
            "title": title, "scope": "regional", "start_date": (end - timedelta(days=3)).isoformat(),
            "end_date": end.isoformat()})
        for n, code in enumerate(officers):
            service.api("POST", f"/v1/workshops/{workshop['id']}/participants", {
                "name": f"Officer {n + 1}", "email": f"officer{n}@customs.{code.lower()}.example",
                "administration": code})
        workshops.append(workshop["id"])
    round_ = service.api("POST", "/v1/rounds", {"title": f"Survey {today.year}", "round_number": 7,
                                                "fiscal_year": f"{today.year}/{(today.year + 1) % 100:02d}",
                                                "questionnaire_id": 1})
    for workshop in workshops:
        service.api("POST", f"/v1/rounds/{round_['id']}/workshops", {"workshop_id": workshop})
    return round_


def sent_invitations(service, round_id, expected):
    """The invitations of a round once the scheduler queued them and the worker wrote them."""
    for _ in range(150):
        sent = service.api("GET", f"/v1/mailings?round_id={round_id}&kind=invitation&status=sent")["items"]
        if len(sent) >= expected:
            return sent
        time.sleep(0.2)
    raise AssertionError(f"{expected} invitations were not sent: {sent}")


def bounce_one_officer(service, binary, mail):
    """Postfix's bounce for `mail`, saved as a file and read with `followup bounces`."""
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "bounces" / "postfix-user-unknown.eml"
    text = (fixture.read_text().replace("%RECIPIENT%", mail["recipient"])
            .replace("%ENVELOPE%", "followup@localhost")
            .replace("%MESSAGE_ID%", mail["message_id"].strip("<>")))
    path = service.dir / "bounce.eml"
    path.write_text(text)
    said = subprocess.run([binary, "bounces", str(path)], env=service.env, check=True,
                          capture_output=True, text=True).stdout
    assert said.strip().endswith(": recorded"), said


def follow_up_page(listing, round_title, source):
    rows = "".join(
        f"<tr><td>{html.escape(i['workshop'])}</td><td>{i['administration']}</td>"
        f"<td>{html.escape((i.get('officer') or {}).get('name', ''))}</td><td class=n>{i['days_after_due']}</td>"
        f"<td>{(i.get('delivery') or {}).get('state', 'ok')}</td><td class=n>{i['reminders_sent']}</td>"
        f"<td>{html.escape(', '.join(p['name'] for p in i['contact_points']))}</td><td>{i['next_step']}</td></tr>"
        for i in listing["items"])
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Follow-up list</title>
<style>body{{font-family:sans-serif;margin:1.5rem;color:#222}} table{{border-collapse:collapse;font-size:13px}}
th,td{{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}} th{{background:#edf2f7}}
td.n{{text-align:right}}</style></head><body>
<h1>Follow-up list of the {html.escape(round_title)}</h1><p><code>{html.escape(source)}</code></p>
<table><thead><tr><th>Workshop</th><th>Administration</th><th>Officer</th><th>Days after due</th><th>Delivery</th>
<th>Reminders sent</th><th>Contact points</th><th>Next step</th></tr></thead><tbody>{rows}</tbody></table></body></html>"""


def timeline_page(timeline, round_title, source):
    rows = []
    for workshop in timeline["workshops"]:
        for a in workshop["administrations"]:
            reminders = "<br>".join(
                f"{r['days_before_due']} days before: {r['at']['local'][:16].replace('T', ' ')}"
                + (" (skipped)" if r["skipped"] else "") for r in a["reminders"])
            rows.append(
                f"<tr><td>{html.escape(workshop['title'])}</td><td>{html.escape(a['name'])}"
                f"<br><small>{a['time_zone']}</small></td><td class=n>{a['officers']}</td>"
                f"<td>{a['invitations_at']['local'][:16].replace('T', ' ')}<br><small>{a['invitations_at']['utc']}</small></td>"
                f"<td>{a['due_at']['local'][:16].replace('T', ' ')}<br><small>{a['due_at']['utc']}</small></td>"
                f"<td>{reminders}</td></tr>")
    warnings = "".join(f"<li>{html.escape(w['message'])}</li>" for w in timeline["warnings"]) or "<li>none</li>"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Timeline</title>
<style>body{{font-family:sans-serif;margin:1.5rem;color:#222}} table{{border-collapse:collapse;font-size:13px}}
th,td{{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}} th{{background:#edf2f7}}
td.n{{text-align:right}} small{{color:#555}}</style></head><body>
<h1>Timeline of the {html.escape(round_title)}</h1><p><code>{html.escape(source)}</code></p>
<p>State: {timeline['state']}; {len(timeline['workshops'])} workshops; local times are 09:00 in each administration.</p>
<table><thead><tr><th>Workshop</th><th>Administration</th><th>Officers</th><th>Invitations (local, UTC)</th>
<th>Due (local, UTC)</th><th>Reminders (local)</th></tr></thead><tbody>{''.join(rows[:14])}</tbody></table>
<p>{len(rows)} rows in all, the first 14 shown.</p><h2>Warnings</h2><ul>{warnings}</ul></body></html>"""


def main(binary):
    service = Service(binary, "--demo")
    try:
        rounds = service.api("GET", "/v1/rounds?per_page=50")["items"]
        survey = next(r for r in rounds if r["round_number"] == 6)
        report = service.api("GET", f"/v1/rounds/{survey['id']}/report")
        shots = service.shots()
        report_html = service.api("GET", f"/v1/rounds/{survey['id']}/report?format=html", raw=True)
        html = HtmlPages()
        html.add(f"the report: GET /v1/rounds/{survey['id']}/report?format=html", report_html)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            on_screen(browser, report_html)
            a4 = service.dir / "report-a4.pdf"
            print_report(browser, report_html, a4)
            pages = pages_of(a4)
            print(f"  A4: {len(pages)} pages")
            assert len(pages) in A4_PAGES, f"the A4 report has {len(pages)} pages"
            check_titles_stay_with_first_rows(report, pages, "A4")
            check_cut_tables_repeat_their_header(report, pages, "A4")

            # A short landscape page cuts tables. Chromium repeats a header row only when it
            # takes at most a quarter of the page: at 130 mm the tallest (Table 2's) does.
            small = service.dir / "report-small.pdf"
            print_report(browser, report_html, small, page_size="297mm 130mm")
            pages = pages_of(small)
            print(f"  small pages: {len(pages)} pages")
            check_titles_stay_with_first_rows(report, pages, "small pages")
            assert check_cut_tables_repeat_their_header(report, pages, "small pages") > 0, \
                "the small pages should cut at least one table"

            for n in (1, 2):
                subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(n), "-l", str(n), "-singlefile",
                                str(a4), str(shots / f"report-printed-page-{n}")], check=True)

            timeline = service.api("GET", f"/v1/rounds/{survey['id']}/timeline")
            assert timeline["workshops"], "the demo round has workshops"
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.set_content(timeline_page(timeline, survey["title"],
                                           f"GET /v1/rounds/{survey['id']}/timeline"))
            page.screenshot(path=str(shots / "timeline-survey-2020.png"), full_page=True)

            draft = draft_with_problems(service)
            preview = service.api("POST", f"/v1/rounds/{draft['id']}/schedule?dry_run=true", {})
            codes = sorted(w["code"] for w in preview["warnings"])
            assert codes == ["due_date_passed", "no_participants", "reminder_before_invitation"], codes
            page.set_content(timeline_page(preview, draft["title"],
                                           f"POST /v1/rounds/{draft['id']}/schedule?dry_run=true"))
            page.screenshot(path=str(shots / "timeline-dry-run.png"), full_page=True)

            service.api("POST", f"/v1/rounds/{draft['id']}/schedule", {})
            sent = sent_invitations(service, draft["id"], 3)
            bounce_one_officer(service, binary, next(m for m in sent if ".my." in m["recipient"]))
            timeline = service.api("GET", f"/v1/rounds/{draft['id']}/timeline")
            codes = [w["code"] for w in timeline["warnings"]]
            assert "undeliverable_addresses" in codes, codes
            page.set_content(timeline_page(timeline, draft["title"],
                                           f"GET /v1/rounds/{draft['id']}/timeline"))
            page.screenshot(path=str(shots / "timeline-undeliverable-address.png"), full_page=True)
            # Thailand's officer answers after the invitation: the report says what brought it.
            th = next(m for m in sent if ".th." in m["recipient"])
            token = service.api("POST", f"/v1/invitations/{th['invitation_id']}/link", {})["token"]
            service.api("PUT", f"/v1/respond/{token}", {"answers": {
                "follow_up_actions": {"choices": ["share_materials"]},
                "lessons_applied": {"text": "Briefed the valuation unit."},
                "direct_effects": {"yes": True}, "efficiency_improved": {"yes": True},
                "new_projects": {"yes": False}}})
            rates = service.api("GET", f"/v1/rounds/{draft['id']}/analytics/reply-rates")
            assert rates["dispositions"]["undeliverable"] == 1, rates["dispositions"]
            bounced_html = service.api("GET", f"/v1/rounds/{draft['id']}/report?format=html", raw=True)
            assert "What became of each invitation" in bounced_html
            assert "What brought replies" in bounced_html
            html.add(f"a report with a bounce: GET /v1/rounds/{draft['id']}/report?format=html",
                     bounced_html)
            page.set_content(bounced_html)
            page.locator("#table-1").screenshot(path=str(shots / "report-table-1-dispositions.png"))
            page.locator("#what-worked").screenshot(path=str(shots / "report-what-brought-replies.png"))
            service.api("POST", "/v1/administrations/MY/contact-points", {
                "name": "Nurul Huda", "email": "capacity.building@customs.my.example", "role": "capacity_building"})
            listing = service.api("GET", f"/v1/rounds/{draft['id']}/follow-up")
            steps = {i["administration"]: i["next_step"] for i in listing["items"]}
            assert steps.get("MY") == "ask_contact_point", steps
            follow_up = browser.new_page(viewport={"width": 1200, "height": 400})
            follow_up.set_content(follow_up_page(listing, draft["title"], f"GET /v1/rounds/{draft['id']}/follow-up"))
            follow_up.screenshot(path=str(shots / "follow-up-list.png"), full_page=True)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                                   WCAG_TAGS)
            assert not result["violations"], \
                f"axe on the report with a bounce and a reply: {[v['id'] for v in result['violations']]}"
            print("  the report with a bounce and a reply: axe: no violations")
            browser.close()
        html.check()
        print(f"report and timeline: pictures in {shots}")
    finally:
        service.stop()


if __name__ == "__main__":
    main(sys.argv[1])
