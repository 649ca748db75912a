"""Sets up a round for scripts/bench-replies.sh through the service's own API: one
workshop with N participants across the member administrations, attached to a round that
opens today, scheduled and opened, and a personal link per invitation. Prints the tokens,
one per line. Usage: bench_replies_setup.py BASE_URL API_KEY N"""

import json
import sys
import urllib.request
from datetime import date

base, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


codes = [a["code"] for a in call("GET", "/v1/administrations?per_page=200")["items"]]
workshop = call("POST", "/v1/workshops", {
    "title": "Benchmark workshop", "topic": "AEO", "scope": "regional",
    "start_date": "2019-12-10", "end_date": "2019-12-12", "is_virtual": True,
})
for i in range(count):
    call("POST", f"/v1/workshops/{workshop['id']}/participants", {
        "name": f"Officer {i}", "email": f"officer{i}@customs.example.org",
        "administration": codes[i % len(codes)],
    })
numbers = [r["round_number"] for r in call("GET", "/v1/rounds?per_page=200")["items"]]
round_ = call("POST", "/v1/rounds", {
    "title": "Benchmark round", "round_number": max(numbers, default=0) + 1,
    "fiscal_year": "2019/20", "questionnaire_id": 1,
})
call("POST", f"/v1/rounds/{round_['id']}/workshops",
     {"workshop_id": workshop["id"], "opens_on": date.today().isoformat()})
call("POST", f"/v1/rounds/{round_['id']}/schedule", {})
call("POST", f"/v1/rounds/{round_['id']}/open", {})
page = 1
while True:
    listing = call("GET", f"/v1/rounds/{round_['id']}/invitations?per_page=200&page={page}")
    for invitation in listing["items"]:
        print(call("POST", f"/v1/invitations/{invitation['id']}/link", {})["token"])
    if page * 200 >= listing["total"]:
        break
    page += 1
