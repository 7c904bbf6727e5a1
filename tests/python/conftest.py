"""Black-box fixtures: run the real `mercato` binary on a temporary database, as a user would."""
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def mercato_bin() -> str:
    path = str(Path(os.environ.get("MERCATO_BIN", str(ROOT / ".build" / "debug" / "mercato"))).resolve())
    if not Path(path).exists():
        pytest.fail(f"mercato binary not found at {path}; run `swift build` first or set MERCATO_BIN")
    return path


class Mercato:
    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.database = str(workdir / "mercato.sqlite")
        self.process = None
        self.base_url = None

    def run(self, *args: str, database: bool = True) -> str:
        command = [self.binary, *args] + (["--database", self.database] if database else [])
        result = subprocess.run(command, cwd=self.workdir,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"mercato {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def demo(self) -> dict:
        return json.loads(self.run("demo", "--json", "--base-url", self.base_url or "http://127.0.0.1:8080"))

    def serve_on(self, port: int) -> str:
        return self.serve(port=port)

    def purchase(self, plan: str, quantity: int | None = None, count: int = 1, customer: str = "buyer@northwind.example"):
        args = ["purchase", "--offer", "contoso-analytics", "--plan", plan, "--customer", customer, "--count", str(count), "--json"]
        if quantity is not None:
            args += ["--quantity", str(quantity)]
        return json.loads(self.run(*args))

    def serve(self, *extra: str, scheme: str = "http", ca: str | None = None, port: int | None = None) -> str:
        port = port or free_port()
        self.base_url = f"{scheme}://127.0.0.1:{port}"
        log = open(self.workdir / "serve.log", "w")
        self.process = subprocess.Popen([self.binary, "serve", "--port", str(port), "--database", self.database, *extra],
                                        cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("mercato serve exited: " + (self.workdir / "serve.log").read_text())
            try:
                if requests.get(self.base_url + "/health", timeout=1, verify=ca or True).status_code == 200:
                    return self.base_url
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("mercato serve did not become healthy")

    def kill9(self):
        """SIGKILL: no shutdown, no flush — a crash."""
        import signal
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def mercato(mercato_bin, tmp_path):
    m = Mercato(mercato_bin, tmp_path)
    yield m
    m.stop()


TOKEN_SCOPE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"


@pytest.fixture
def marketplace(mercato):
    """A running Mercato (plain HTTP) with the demo data, and a bearer token of the demo publisher's app."""
    port = free_port()
    mercato.base_url = f"http://127.0.0.1:{port}"
    demo = mercato.demo()  # with base_url so links (@nextLink, Operation-Location) point at this server
    mercato.serve_on(port)
    reply = requests.post(f"{mercato.base_url}/{demo['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": demo["clientId"], "client_secret": demo["clientSecret"],
        "scope": TOKEN_SCOPE})
    assert reply.status_code == 200, reply.text
    mercato.demo_data = demo
    mercato.token = reply.json()["access_token"]
    return mercato
