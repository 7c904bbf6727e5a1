"""Conformance suite for the SaaS Fulfillment API v2 and the Marketplace Metering API v1.

Black-box: it talks HTTP to a base URL, gets tokens from an Entra-style authority, and checks what comes back against
Microsoft's OpenAPI files and the live session recordings in ../shared/reference. Run it against Mercato (``--spawn``
starts one) or any other implementation (``--base-url`` and friends; ``--skip`` what the target lacks). See README.md.
"""
import json
import os
import shlex
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
DEFAULT_REFERENCE = (HERE.parent.parent / "shared" / "reference").resolve()
RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
API_VERSION = "2018-08-31"
GROUPS = ["auth", "fulfillment", "operations", "paging", "metering", "recordings", "schemathesis"]


def pytest_addoption(parser):
    g = parser.getgroup("conformance")
    g.addoption("--base-url", help="API root of the target, e.g. https://marketplaceapi.microsoft.com/api or http://127.0.0.1:8080/api")
    g.addoption("--authority", help="token authority root (POST {authority}/{tenant}/oauth2/v2.0/token); default: the base URL's origin")
    g.addoption("--tenant", help="publisher tenant ID")
    g.addoption("--client-id", help="publisher application (client) ID")
    g.addoption("--client-secret", default=os.environ.get("CONFORMANCE_CLIENT_SECRET"), help="client secret (or CONFORMANCE_CLIENT_SECRET)")
    g.addoption("--purchase-cmd", help="shell command that creates a pending subscription and prints JSON with subscriptionId and "
                                      "token; {plan} and {quantity} are substituted. Tests that need fresh subscriptions skip without it")
    g.addoption("--flat-plan", default="silver", help="a flat-rate plan with a metered dimension")
    g.addoption("--other-plan", default="gold", help="another plan of the same offer to change to")
    g.addoption("--dimension", default="emails", help="a dimension of --flat-plan")
    g.addoption("--skip", default="", help="comma-separated groups the target lacks: " + ", ".join(GROUPS))
    g.addoption("--reference", default=str(DEFAULT_REFERENCE), help="directory with openapi/ and session-records/")
    g.addoption("--schemathesis-examples", type=int, default=int(os.environ.get("CONFORMANCE_EXAMPLES", "30")),
                help="examples per operation for the property-based run")
    g.addoption("--spawn", metavar="MERCATO_BIN", help="start this mercato binary on a temporary database and test it")


def pytest_configure(config):
    config.addinivalue_line("markers", "group(name): the capability group a test belongs to (see --skip)")


def pytest_collection_modifyitems(config, items):
    skipped = {s.strip() for s in (config.getoption("--skip") or "").split(",") if s.strip()}
    unknown = skipped - set(GROUPS)
    if unknown:
        raise pytest.UsageError(f"--skip: unknown group(s) {sorted(unknown)}; known: {GROUPS}")
    for item in items:
        for mark in item.iter_markers("group"):
            if mark.args[0] in skipped:
                item.add_marker(pytest.mark.skip(reason=f"--skip {mark.args[0]}"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Target:
    """Where the implementation under test lives and how to get tokens and subscriptions from it."""

    def __init__(self, base_url, authority, tenant, client_id, secret, purchase_cmd, options):
        self.base_url = base_url.rstrip("/")
        self.authority = authority.rstrip("/")
        self.tenant, self.client_id, self.secret = tenant, client_id, secret
        self.purchase_cmd = purchase_cmd
        self.flat_plan = options.getoption("--flat-plan")
        self.other_plan = options.getoption("--other-plan")
        self.dimension = options.getoption("--dimension")
        self._token = None

    def token(self):
        if self._token is None:
            r = requests.post(f"{self.authority}/{self.tenant}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret,
                "scope": f"{RESOURCE}/.default"}, timeout=30)
            assert r.status_code == 200, f"token endpoint answered {r.status_code}: {r.text}"
            self._token = r.json()["access_token"]
        return self._token

    def headers(self, **extra):
        h = {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}
        h.update(extra)
        return h

    def url(self, path, **params):
        params.setdefault("api-version", API_VERSION)
        query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def get(self, path, headers=None, **params):
        return requests.get(self.url(path, **params), headers=headers or self.headers(), timeout=30)

    def post(self, path, body=None, headers=None, **params):
        return requests.post(self.url(path, **params), headers=headers or self.headers(), data=None if body is None else json.dumps(body), timeout=30)

    def patch(self, path, body, headers=None, **params):
        return requests.patch(self.url(path, **params), headers=headers or self.headers(), data=json.dumps(body), timeout=30)

    def delete(self, path, **params):
        return requests.delete(self.url(path, **params), headers=self.headers(), timeout=30)

    def purchase(self, plan=None, quantity=None):
        if not self.purchase_cmd:
            pytest.skip("needs --purchase-cmd to create subscriptions")
        cmd = self.purchase_cmd.format(plan=plan or self.flat_plan, quantity=quantity or "")
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"purchase command failed: {out.stderr}"
        data = json.loads(out.stdout)
        return data[0] if isinstance(data, list) else data

    def active_subscription(self, plan=None):
        """A new subscription, resolved and activated through the API."""
        p = self.purchase(plan)
        r = self.post("/saas/subscriptions/resolve", headers=self.headers(**{"x-ms-marketplace-token": p["token"]}))
        assert r.status_code == 200, r.text
        sid = r.json()["id"]
        plan_id = r.json()["planId"]
        r = self.post(f"/saas/subscriptions/{sid}/activate", {"planId": plan_id})
        assert r.status_code == 200, r.text
        return sid


@pytest.fixture(scope="session")
def reference(pytestconfig):
    path = Path(pytestconfig.getoption("--reference"))
    if not (path / "openapi" / "saasapi.v2.json").exists():
        pytest.fail(f"reference files not found under {path}; pass --reference")
    return path


@pytest.fixture(scope="session")
def target(pytestconfig):
    spawn = pytestconfig.getoption("--spawn")
    if spawn:
        yield from _spawn_mercato(str(Path(spawn).resolve()), pytestconfig)
        return
    base = pytestconfig.getoption("--base-url")
    if not base:
        pytest.fail("give --base-url, --tenant, --client-id and --client-secret (or --spawn PATH_TO_MERCATO)")
    from urllib.parse import urlsplit
    parts = urlsplit(base)
    authority = pytestconfig.getoption("--authority") or f"{parts.scheme}://{parts.netloc}"
    yield Target(base, authority, pytestconfig.getoption("--tenant"), pytestconfig.getoption("--client-id"),
                 pytestconfig.getoption("--client-secret"), pytestconfig.getoption("--purchase-cmd"), pytestconfig)


def _spawn_mercato(binary, config):
    work = Path(tempfile.mkdtemp(prefix="mercato-conformance-"))
    db = str(work / "mercato.sqlite")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MERCATO_SANDBOX="true", MERCATO_LOG_LEVEL="warning")
    demo = json.loads(subprocess.run([binary, "demo", "--json", "--database", db, "--base-url", base], capture_output=True, text=True,
                                     check=True, env=env, cwd=work).stdout)
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--database", db, "--base-url", base], stdout=log,
                            stderr=subprocess.STDOUT, env=env, cwd=work)
    deadline = time.time() + 60
    while True:
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("mercato did not start: " + (work / "serve.log").read_text())
        time.sleep(0.2)
    purchase = f"{shlex.quote(binary)} purchase --offer {demo['offerId']} --plan {{plan}} --json --database {shlex.quote(db)}"
    try:
        yield Target(base + "/api", base, demo["tenantId"], demo["clientId"], demo["clientSecret"], purchase, config)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # open keep-alive connections can hold a graceful shutdown
            proc.kill()
            proc.wait(timeout=15)
