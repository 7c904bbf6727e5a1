"""issue 7: kill -9 the server during a stream of usage events; after a restart every acknowledged event is stored
exactly once (re-posting it answers 409 with the originally accepted usageEventId)."""
import concurrent.futures
import datetime
import random
import threading
from urllib.parse import urlparse

import requests


def test_every_acknowledged_event_survives_kill_9(marketplace):
    api = f"{marketplace.base_url}/api"
    auth = {"Authorization": "Bearer " + marketplace.token}
    subs = [s["subscriptionId"] for s in marketplace.purchase("silver", count=30)]
    for sid in subs:
        r = requests.post(f"{api}/saas/subscriptions/{sid}/activate?api-version=2018-08-31", json={"planId": "silver"}, headers=auth)
        assert r.status_code == 200, r.text
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    events = [{"resourceId": sid, "quantity": 1 + h, "dimension": "emails", "planId": "silver",
               "effectiveStartTime": (now - datetime.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S")} for sid in subs for h in range(1, 21)]
    random.Random(7).shuffle(events)

    acked = {}
    lock = threading.Lock()
    sent = [0]
    killed = threading.Event()

    def send(event):
        with lock:
            sent[0] += 1
            if sent[0] == 250 and not killed.is_set():
                killed.set()
                marketplace.kill9()
        try:
            r = requests.post(f"{api}/usageEvent?api-version=2018-08-31", json=event, headers=auth, timeout=10)
        except requests.RequestException:
            return
        if r.status_code == 200 and r.json().get("status") == "Accepted":
            with lock:
                acked[(event["resourceId"], event["effectiveStartTime"])] = r.json()["usageEventId"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, events))
    assert killed.is_set()
    assert 100 < len(acked) < len(events), len(acked)  # some acknowledged before the crash, not all

    marketplace.serve_on(urlparse(marketplace.base_url).port)  # same database, same port
    for event in events:
        key = (event["resourceId"], event["effectiveStartTime"])
        if key not in acked:
            continue
        r = requests.post(f"{api}/usageEvent?api-version=2018-08-31", json=event, headers=auth)
        assert r.status_code == 409, (key, r.status_code, r.text)
        assert r.json()["additionalInfo"]["acceptedMessage"]["usageEventId"] == acked[key]
    # Exactly once: the stored count per resource equals the number of distinct hours stored, never more.
    usage = requests.get(f"{api}/usageEvents", headers=auth, params={"api-version": "2018-08-31", "usageStartDate": (now - datetime.timedelta(days=2)).strftime("%Y-%m-%d")})
    stored = sum(row["submittedCount"] for row in usage.json())
    assert len(acked) <= stored <= len(events)
