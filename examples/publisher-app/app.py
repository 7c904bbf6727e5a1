"""A publisher's SaaS app for Mercato's (or Microsoft's) marketplace: the landing page and the webhook.

It uses only the public APIs, as a publisher's own code would:
- the Entra-compatible token endpoint (client credentials) for an access token;
- the official `azuremarketplace` SDK (SaaS Fulfillment API v2) to resolve the landing-page token, show the buyer's
  plan and activate the subscription;
- the published signing keys (OpenID discovery) to validate the JWT on every webhook call, then the SDK again to
  acknowledge ChangePlan / ChangeQuantity operations.

Run:  python app.py --marketplace http://127.0.0.1:8080 --tenant T --client-id C --client-secret S --port 8081
"""
import argparse
import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azuremarketplace.microsoft.marketplace.saas import SaaSAPI
from azuremarketplace.microsoft.marketplace.saas.models import SubscriberPlan, UpdateOperation

MARKETPLACE_API = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"  # the Marketplace API's application ID (the token's scope)


class TokenSource:
    """Client-credentials tokens from the authority, cached until five minutes before they expire."""

    def __init__(self, authority, tenant, client_id, secret):
        self.url = f"{authority}/{tenant}/oauth2/v2.0/token"
        self.form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                     "scope": MARKETPLACE_API + "/.default"}
        self.lock = threading.Lock()
        self.token, self.expires = None, 0

    def get_token(self, *scopes, **kwargs):
        with self.lock:
            if not self.token or time.time() > self.expires - 300:
                reply = requests.post(self.url, data=self.form, timeout=10)
                reply.raise_for_status()
                body = reply.json()
                self.token, self.expires = body["access_token"], time.time() + int(body["expires_in"])
            return AccessToken(self.token, int(self.expires))


class BearerPolicy(SansIOHTTPPolicy):
    """Adds the bearer token (azure-core's own policy insists on https; a local marketplace may be http)."""

    def __init__(self, source):
        self.source = source

    def on_request(self, request):
        request.http_request.headers["Authorization"] = "Bearer " + self.source.get_token().token


class App:
    def __init__(self, marketplace, tenant, client_id, secret):
        self.marketplace = marketplace.rstrip("/")
        self.tenant, self.client_id = tenant, client_id
        tokens = TokenSource(self.marketplace, tenant, client_id, secret)
        self.sdk = SaaSAPI(tokens, base_url=self.marketplace + "/api", authentication_policy=BearerPolicy(tokens))
        discovery = requests.get(f"{self.marketplace}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10).json()
        self.issuer = discovery["issuer"]
        self.keys = jwt.PyJWKClient(discovery["jwks_uri"])
        self.events = []  # what the webhook received, newest last (shown on /events)

    def landing(self, token):
        """Resolve the token, show the plan, activate (spec-saas §3.1, §3.4)."""
        resolved = self.sdk.fulfillment_operations.resolve(x_ms_marketplace_token=token)
        if resolved is None:  # the SDK answers None for a 400 (invalid or expired token)
            raise ValueError("the marketplace token is invalid or expired; open the page again from the marketplace")
        sub = resolved.subscription
        self.sdk.fulfillment_operations.activate_subscription(resolved.id, SubscriberPlan(plan_id=resolved.plan_id, quantity=resolved.quantity))
        now = self.sdk.fulfillment_operations.get_subscription(resolved.id)
        return sub, resolved, now

    def validate(self, authorization):
        """The webhook's bearer JWT: signed by the marketplace's published key, for this app, in this tenant."""
        if not authorization or not authorization.startswith("Bearer "):
            raise PermissionError("no bearer token")
        token = authorization[len("Bearer "):]
        key = self.keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.client_id, issuer=self.issuer)
        if claims.get("tid") != self.tenant:
            raise PermissionError("token for another tenant")
        if claims.get("appid", claims.get("azp")) != MARKETPLACE_API:
            raise PermissionError("token not issued to the Marketplace API")
        return claims

    def webhook(self, payload):
        """Acknowledge plan and quantity changes (we accept them all); record everything."""
        self.events.append(payload)
        if payload.get("action") in ("ChangePlan", "ChangeQuantity") and payload.get("status") == "InProgress":
            self.sdk.subscription_operations.update_operation_status(
                payload["subscriptionId"], payload["id"], UpdateOperation(status="Success"))


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
dt{{font-weight:600}}.ok{{color:#0a6b2d}}.err{{color:#a4262c}}</style></head><body>{body}</body></html>"""


def handler_for(app):
    class Handler(BaseHTTPRequestHandler):
        def send(self, status, body, content_type="text/html; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/health":
                return self.send(200, "ok", "text/plain")
            if url.path == "/events":
                return self.send(200, json.dumps(app.events), "application/json")
            if url.path != "/landing":
                return self.send(404, PAGE.format(title="Not found", body="<h1>Not found</h1>"))
            token = parse_qs(url.query).get("token", [None])[0]
            if not token:
                # A visit without a token (a person, or the marketplace's certification check): a plain welcome page.
                return self.send(200, PAGE.format(title="Welcome", body="<h1 id=no-token>Welcome</h1><p>Buy a plan on the marketplace; it brings you back here to set up your account.</p>"))
            try:
                sub, resolved, now = app.landing(token)
            except Exception as error:  # the SDK raises HttpResponseError with the API's message
                return self.send(400, PAGE.format(title="Could not activate", body=f"<h1 class=err>Could not activate</h1><p>{html.escape(str(error))}</p>"))
            e = html.escape
            body = (f"<h1 class=ok id=activated>Welcome, your subscription is active</h1><dl>"
                    f"<dt>Subscription</dt><dd id=subscription-name>{e(resolved.subscription_name or '')}</dd>"
                    f"<dt>Plan</dt><dd id=plan>{e(resolved.plan_id)}</dd>"
                    f"<dt>Seats</dt><dd id=quantity>{e(str(resolved.quantity or ''))}</dd>"
                    f"<dt>Buyer</dt><dd id=buyer>{e(sub.beneficiary.email_id if sub and sub.beneficiary else '')}</dd>"
                    f"<dt>Status</dt><dd id=status>{e(now.saas_subscription_status)}</dd></dl>"
                    f"<p><a href='{e(app.marketplace)}/account/subscriptions'>Back to the marketplace</a></p>")
            return self.send(200, PAGE.format(title="Subscription active", body=body))

        def do_POST(self):
            if urlparse(self.path).path != "/webhook":
                return self.send(404, "", "text/plain")
            try:
                app.validate(self.headers.get("Authorization"))
            except Exception as error:
                return self.send(401, json.dumps({"error": str(error)}), "application/json")
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.send(400, json.dumps({"error": "body is not JSON"}), "application/json")
            try:
                app.webhook(payload)
            except Exception as error:
                return self.send(500, json.dumps({"error": str(error)}), "application/json")
            return self.send(200, "{}", "application/json")

        def log_message(self, fmt, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description="Sample SaaS publisher app: landing page and webhook")
    parser.add_argument("--marketplace", required=True, help="marketplace base URL (token authority and /api)")
    parser.add_argument("--tenant", required=True, help="the publisher's tenant ID")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    app = App(args.marketplace, args.tenant, args.client_id, args.client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(app))
    print(f"sample publisher app on http://127.0.0.1:{args.port} (landing: /landing, webhook: /webhook)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
