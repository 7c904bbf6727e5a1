"""Seeds a running Mercato for the metering benchmark: a live offer with 30 metered dimensions and N active
subscriptions. Prints the bearer token; writes subscription IDs to the given file."""
import json
import subprocess
import sys
import time

import requests

base, binary, database, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
demo = json.loads(subprocess.run([binary, "demo", "--json", "--database", database, "--base-url", base], capture_output=True, text=True, check=True).stdout)
token = requests.post(f"{base}/{demo['tenantId']}/oauth2/v2.0/token", data={
    "grant_type": "client_credentials", "client_id": demo["clientId"], "client_secret": demo["clientSecret"],
    "scope": "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"}).json()["access_token"]
auth = {"Authorization": "Bearer " + token}
p = f"{base}/api/partner/v1/offers"
offer = requests.get(f"{p}/contoso-analytics", headers=auth).json()["offer"]
offer["id"] = "bench-metering"
offer["alias"] = "Metering benchmark"
offer["dimensions"] = [{"id": f"d{i}", "displayName": f"Meter {i}", "unitOfMeasure": "per unit"} for i in range(1, 31)]
plan = dict(offer["plans"][0])
plan.update({"id": "bench", "name": "Bench", "dimensions": [
    {"dimensionId": f"d{i}", "pricePerUnit": {"amount": "0.01", "currency": "USD"}, "includedMonthly": 0, "includedAnnual": 0} for i in range(1, 31)]})
offer["plans"] = [plan]
# The certification step checks these answer: point them at this server.
offer["technicalConfiguration"]["landingPageURL"] = f"{base}/health"
offer["technicalConfiguration"]["connectionWebhookURL"] = f"{base}/bench/webhook"
r = requests.put(f"{p}/bench-metering", json=offer, headers={**auth, "If-Match": "*"})
assert r.status_code in (200, 201), r.text
for action in ("publish", "golive"):
    r = requests.post(f"{p}/bench-metering/{action}", headers=auth)
    assert r.status_code == 202, r.text
    op = r.headers["Location"]
    for _ in range(120):
        status = requests.get(op, headers=auth).json()
        if status["status"] in ("Succeeded", "Failed"):
            assert status["status"] == "Succeeded", status
            break
        time.sleep(0.5)
subs = json.loads(subprocess.run([binary, "purchase", "--offer", "bench-metering", "--plan", "bench", "--count", str(count), "--json",
                                  "--database", database], capture_output=True, text=True, check=True).stdout)
session = requests.Session()
for s in subs:
    r = session.post(f"{base}/api/saas/subscriptions/{s['subscriptionId']}/activate?api-version=2018-08-31", json={"planId": "bench"}, headers=auth)
    assert r.status_code == 200, r.text
open(out, "w").write("\n".join(s["subscriptionId"] for s in subs) + "\n")
# Purchase tokens for the resolve run (a token resolves again until it expires) and the app's credentials for the
# token-issue run.
open(out + ".tokens", "w").write("\n".join(s["token"] for s in subs[:500]) + "\n")
open(out + ".app", "w").write(f"{demo['tenantId']} {demo['clientId']} {demo['clientSecret']}\n")
print(token)
