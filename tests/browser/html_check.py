"""The Nu Html Checker over the HTML the service sent, exactly as sent.

Every document a page loads (a navigation or a form post, whatever its status, redirects
left out) whose Content-Type is text/html is saved as it came over the wire, not as the
browser rebuilt it, into a temporary folder; HTML fetched outside the browser is added
with `add`. `check` runs vnu.jar (npm's vnu-jar, run with `java`) once over all of them,
errors only, prints each error with its file, line and the offending source line, and
fails when there is any. The folder is removed when there is none, else kept to look at.

Usage: pages = HtmlPages(); pages.watch(page); ...; pages.name("the form"); ...; pages.check()
(java, and vnu-jar in tests/browser/node_modules: scripts/browser-test.sh installs both)
"""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
VNU = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def slug(text):
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower()[:60] or "page"


class HtmlPages:
    def __init__(self):
        self.documents = []                        # [{"what", "state", "body"}], in the order received

    def watch(self, page):
        """Keeps every HTML document `page` receives from now on."""
        page.on("response", self._response)

    def _response(self, response):
        if response.request.resource_type != "document" or 300 <= response.status < 400:
            return
        if not response.headers.get("content-type", "").lower().startswith("text/html"):
            return
        # Listed before the body is read: the test may name it (name) while the body comes.
        document = {"what": f"{response.request.method} {urlsplit(response.url).path} ({response.status})",
                    "state": None, "body": None}
        self.documents.append(document)
        try:
            document["body"] = response.body()
        except Exception as error:                 # checked, and reported, by check
            document["error"] = str(error)

    def add(self, what, body):
        """Keeps the HTML `body` (bytes or str), fetched outside the browser, under the name `what`."""
        self.documents.append({"what": what, "state": None,
                               "body": body.encode() if isinstance(body, str) else body})

    def name(self, state):
        """Names the last document received: the page state a test has just looked at."""
        assert self.documents, f"no HTML document received for {state!r}"
        self.documents[-1]["state"] = state

    def check(self):
        """Runs vnu once over every document kept; fails on any error."""
        assert self.documents, "no HTML document to check"
        assert VNU.is_file(), f"{VNU} is missing: npm install --prefix tests/browser"
        self.dir = Path(tempfile.mkdtemp(prefix="followup-html-"))
        self.files = []                            # [(path, what it is)]
        for n, document in enumerate(self.documents, start=1):
            what = (f"{document['state']}: " if document["state"] else "") + document["what"]
            assert document["body"] is not None, f"the body of {what} was not read: {document.get('error')}"
            path = self.dir / f"{n:02d}-{slug(document['state'] or document['what'])}.html"
            path.write_bytes(document["body"])
            self.files.append((path, what))
        run = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
             "--exit-zero-always", *(str(path) for path, _ in self.files)],
            capture_output=True, text=True)
        try:
            messages = json.loads(run.stdout)["messages"]
        except (ValueError, KeyError):
            raise AssertionError(f"vnu gave no JSON (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
        names = {path.name: (path, what) for path, what in self.files}   # vnu's url is file:/...
        errors = []
        for m in messages:
            if m.get("type") == "info":            # warnings (info with subType "warning") are not errors
                continue
            url = m.get("url", "?")
            path, what = names.get(Path(urlsplit(url).path).name, (Path(url), "?"))
            line = m.get("lastLine", m.get("firstLine"))
            column = m.get("firstColumn") if m.get("firstLine", line) == line else None
            where = f"{path.name} ({what})" + (f", line {line}" if line else "") + (f":{column}" if column else "")
            text = f"{where}: {m.get('type')}: {m.get('message')}"
            source = ""
            if line and path.is_file():
                lines = path.read_text(errors="replace").splitlines()
                source = lines[line - 1].strip() if line <= len(lines) else ""
            if len(source) > 200 or not source:       # a long line: vnu's extract around the spot
                source = " ".join(m.get("extract", "").split())
            if source:
                text += f"\n    {source}"
            errors.append(text)
        print(f"  vnu: {len(self.files)} HTML documents: " + "; ".join(what for _, what in self.files))
        if errors:
            raise AssertionError(f"the Nu Html Checker found {len(errors)} errors in {len(self.files)} "
                                 f"documents (kept in {self.dir}):\n" + "\n".join(errors))
        print("  vnu: no errors")
        shutil.rmtree(self.dir, ignore_errors=True)
