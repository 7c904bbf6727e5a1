"""Shared set-up of the browser tests: Debian's chromium + chromium-driver driven by selenium, a running Mercato with
the demo data, the sample publisher app (examples/publisher-app) as the offer's landing page and webhook, and a lead
endpoint that records what it receives. Screenshots go to screenshots/browser/."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import ROOT, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "screenshots" / "browser"

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("chromium and chromium-driver are required in CI (.ci/run installs them)")
    pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402,F401
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402,F401
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402,F401
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402,F401


class LeadReceiver:
    """A lead endpoint (spec-portal §7.4) that records every POSTed body."""

    def __init__(self):
        self.bodies = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/leads"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def storefront(mercato, tmp_path):
    """(mercato, demo, driver, leads, app_port): Mercato serving the demo, the sample app, a headless Chromium."""
    port, app_port = free_port(), free_port()
    mercato.base_url = f"http://127.0.0.1:{port}"
    leads = LeadReceiver()
    demo = json.loads(mercato.run("demo", "--json", "--base-url", mercato.base_url, "--sample-app-url", f"http://127.0.0.1:{app_port}",
                                  "--lead-endpoint", leads.url))
    mercato.serve_on(port)
    app_log = open(tmp_path / "publisher-app.log", "w")
    app = subprocess.Popen([sys.executable, str(ROOT / "examples" / "publisher-app" / "app.py"), "--marketplace", mercato.base_url,
                            "--tenant", demo["tenantId"], "--client-id", demo["clientId"], "--client-secret", demo["clientSecret"],
                            "--port", str(app_port)], stdout=app_log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{app_port}/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield mercato, demo, driver, leads, app_port
    driver.quit()
    app.terminate()
    app.wait(timeout=10)
    leads.server.shutdown()


def shot(driver, name):
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def replaced(old):
    """A wait condition: the page holding `old` has been replaced. Chromium sometimes reports the old node as
    "does not belong to the document" (an unknown error) instead of a stale reference while the new page loads."""
    def predicate(_driver):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    return predicate
