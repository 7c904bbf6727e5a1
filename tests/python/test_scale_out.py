"""Scale-out on PostgreSQL (issue 11): two `mercato serve` replicas on one database, requests alternating between
them. Webhooks go out once per operation (the outbox is claimed with FOR UPDATE SKIP LOCKED), no usage event is lost
or stored twice, and operations are processed once."""
import concurrent.futures as cf
import datetime as dt
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from conftest import Mercato, TOKEN_SCOPE, free_port

ADMIN_URL = os.environ.get("MERCATO_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="needs MERCATO_TEST_POSTGRES_URL (CI sets it)")


class Receiver(ThreadingHTTPServer):
    """The demo offer's connection webhook (http://127.0.0.1:8081/webhook, a sandbox loopback URL): records every POST."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with receiver.lock:
                    receiver.calls.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 8081), Handler)


@pytest.fixture
def database():
    assert shutil.which("psql"), "psql (Debian's postgresql-client) is needed to create the test database"
    name = "mercato_scale_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    parts = urlsplit(ADMIN_URL)
    yield urlunsplit(parts._replace(path="/" + name))
    subprocess.run(["psql", ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


def test_two_replicas_share_the_work_once(mercato_bin, tmp_path, database):
    try:
        receiver = Receiver()
    except OSError:
        pytest.skip("port 8081 (the demo offer's webhook) is in use")
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    replicas = []
    try:
        ports = [free_port(), free_port()]
        first = Mercato(mercato_bin, tmp_path)
        first.database = database
        first.base_url = f"http://127.0.0.1:{ports[0]}"
        demo = first.demo()
        for i, port in enumerate(ports):
            m = Mercato(mercato_bin, tmp_path / f"r{i}")
            m.workdir.mkdir()
            m.database = database
            m.serve_on(port)
            replicas.append(m)
        urls = [m.base_url for m in replicas]
        token = requests.post(f"{urls[0]}/{demo['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": demo["clientId"], "client_secret": demo["clientSecret"], "scope": TOKEN_SCOPE}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        v = "api-version=2018-08-31"
        subs = first.purchase("silver", count=40)
        # Activate and change plans, alternating replicas: 40 ChangePlan operations.
        for n, s in enumerate(subs):
            base = urls[n % 2]
            assert requests.post(f"{base}/api/saas/subscriptions/{s['subscriptionId']}/activate?{v}", json={"planId": "silver"}, headers=auth).status_code == 200
            r = requests.patch(f"{base}/api/saas/subscriptions/{s['subscriptionId']}?{v}", json={"planId": "gold"}, headers=auth)
            assert r.status_code == 202, r.text
        # 400 usage events from 8 threads, alternating replicas; each is Accepted once and a Duplicate the second time.
        hours = [(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:05:00") for h in range(1, 11)]
        events = [{"resourceId": s["subscriptionId"], "quantity": 3, "dimension": "emails", "effectiveStartTime": h, "planId": "silver"}
                  for s in subs for h in hours]

        def send(i_event):
            i, e = i_event
            return requests.post(f"{urls[i % 2]}/api/usageEvent?{v}", json=e, headers=auth).status_code

        with cf.ThreadPoolExecutor(8) as pool:
            first_pass = list(pool.map(send, enumerate(events)))
            second_pass = list(pool.map(send, enumerate(events, start=1)))
        assert first_pass.count(200) == len(events), {c: first_pass.count(c) for c in set(first_pass)}
        assert second_pass.count(409) == len(events)
        start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%d")
        for base in urls:
            rows = requests.get(f"{base}/api/usageEvents?{v}&usageStartDate={start}", headers=auth).json()
            assert sum(r["submittedCount"] for r in rows) == len(events)
        # Every ChangePlan is started by one replica and its webhook delivered once.
        deadline = time.time() + 90
        while time.time() < deadline:
            with receiver.lock:
                changes = [c for c in receiver.calls if c.get("action") == "ChangePlan"]
            if len(changes) >= len(subs):
                break
            time.sleep(0.5)
        time.sleep(3)  # let any duplicate show up
        with receiver.lock:
            changes = [c for c in receiver.calls if c.get("action") == "ChangePlan"]
        ids = [c["id"] for c in changes]
        assert len(ids) == len(subs), f"{len(ids)} ChangePlan deliveries for {len(subs)} operations"
        assert len(set(ids)) == len(ids), "an operation's webhook was delivered twice"
        # Each operation auto-accepts once (10 s window); every subscription ends on gold.
        deadline = time.time() + 60
        while time.time() < deadline:
            plans = [requests.get(f"{urls[0]}/api/saas/subscriptions/{s['subscriptionId']}?{v}", headers=auth).json()["planId"] for s in subs]
            if all(p == "gold" for p in plans):
                break
            time.sleep(1)
        assert all(p == "gold" for p in plans)
        for s in subs[:5]:
            ops = requests.get(f"{urls[1]}/api/saas/subscriptions/{s['subscriptionId']}/operations?{v}", headers=auth).json()["operations"]
            assert ops == []  # none left pending, none stuck twice
    finally:
        for m in replicas:
            m.stop()
        receiver.shutdown()
        receiver.server_close()
