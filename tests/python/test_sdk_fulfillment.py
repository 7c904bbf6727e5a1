"""issue 5: the official `azuremarketplace` SDK drives the whole SaaS Fulfillment v2 flow against Mercato, pointed at
it as in shared/reference/sdk-examples (base_url + a bearer policy), with every returned field checked."""
import uuid

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy

from azuremarketplace.microsoft.marketplace.saas import SaaSAPI
from azuremarketplace.microsoft.marketplace.saas.models import SubscriberPlan, UpdateOperation

SCOPE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"


class StaticCredential:
    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, 2**31)


class BearerPolicy(SansIOHTTPPolicy):
    """'Authorization: Bearer <token>' without azure-core's https-only check (see the sdk example)."""

    def __init__(self, credential):
        self.credential = credential

    def on_request(self, request):
        request.http_request.headers["Authorization"] = "Bearer " + self.credential.get_token(SCOPE).token


def sdk(marketplace):
    cred = StaticCredential(marketplace.token)
    return SaaSAPI(cred, base_url=marketplace.base_url + "/api", authentication_policy=BearerPolicy(cred))


def check_subscription(s, sid, plan, status, quantity, demo):
    assert s.id == sid
    assert s.publisher_id == demo["publisherId"]
    assert s.offer_id == "contoso-analytics"
    assert s.plan_id == plan
    assert s.saas_subscription_status == status
    assert s.quantity == quantity
    assert s.beneficiary.email_id == "buyer@northwind.example"
    assert s.beneficiary.tenant_id == demo["customerTenantId"]
    assert s.purchaser.tenant_id == demo["customerTenantId"]
    assert uuid.UUID(s.beneficiary.object_id)
    assert s.is_test is False
    assert sorted(s.allowed_customer_operations) == ["Delete", "Read", "Update"]
    assert s.sandbox_type == "None" and s.session_mode == "None"


def raw(marketplace, path):
    reply = requests.get(f"{marketplace.base_url}/api/saas/subscriptions{path}", params={"api-version": "2018-08-31"},
                         headers={"Authorization": "Bearer " + marketplace.token})
    assert reply.status_code == 200, reply.text
    return reply.json()


def check_raw_subscription(body, status):
    # Fields the live service sends that the 0.9.1 SDK's models don't map.
    assert body["autoRenew"] is True
    assert body["term"]["termUnit"] == "P1M"
    assert body["created"].endswith("Z") and body["lastModified"]
    assert body["saasSubscriptionStatus"] == status


def test_full_fulfillment_flow_with_the_official_sdk(marketplace):
    demo = marketplace.demo_data
    # 101 other subscriptions so listing needs two pages (100 per page, spec-saas §3.3).
    others = marketplace.purchase("silver", count=101)
    bought = marketplace.purchase("per-seat", quantity=5)
    sid, token = bought["subscriptionId"], bought["token"]
    assert bought["landingPageUrl"].endswith("token=" + token)

    client = sdk(marketplace)
    fo, so = client.fulfillment_operations, client.subscription_operations

    resolved = fo.resolve(x_ms_marketplace_token=token, request_id_parameter=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()))
    assert resolved is not None
    assert resolved.id == sid and resolved.plan_id == "per-seat" and resolved.offer_id == "contoso-analytics"
    assert resolved.quantity == 5
    assert resolved.subscription_name.startswith("Contoso Analytics")
    check_subscription(resolved.subscription, sid, "per-seat", "PendingFulfillmentStart", 5, demo)
    assert resolved.subscription.is_free_trial is True  # the per-seat plan has a one-month trial
    assert resolved.subscription.term.start_date is None  # no term dates before activation

    got = fo.get_subscription(sid)
    check_subscription(got, sid, "per-seat", "PendingFulfillmentStart", 5, demo)
    check_raw_subscription(raw(marketplace, f"/{sid}"), "PendingFulfillmentStart")

    listed = list(fo.list_subscriptions())  # follows the absolute @nextLink
    ids = [s.id for s in listed]
    assert len(ids) == 102 and len(set(ids)) == 102
    assert sid in ids and set(o["subscriptionId"] for o in others) <= set(ids)

    plans = fo.list_available_plans(sid).plans
    by_id = {p.plan_id: p for p in plans}
    assert set(by_id) == {"silver", "gold", "per-seat", "team-pro", "northwind-private"}  # Northwind is in the private audience
    assert by_id["team-pro"].display_name == "Team Pro" and by_id["team-pro"].is_private is False
    assert by_id["northwind-private"].is_private is True
    full = {p["planId"]: p for p in raw(marketplace, f"/{sid}/listAvailablePlans")["plans"]}
    team = full["team-pro"]
    assert team["isPricePerSeat"] is True and team["minQuantity"] == 5 and team["maxQuantity"] == 1000
    assert team["hasFreeTrials"] is False and team["market"] == "US" and team["isStopSell"] is False
    silver = full["silver"]
    assert silver["isPricePerSeat"] is False and "minQuantity" not in silver
    terms = {t["termUnit"]: t for t in silver["planComponents"]["recurrentBillingTerms"]}
    assert terms["P1M"]["price"] == 49 and terms["P1M"]["currency"] == "USD" and terms["P1M"]["termDescription"] == "1 Month Subscription"
    assert terms["P1M"]["meteredQuantityIncluded"] == [{"dimensionId": "emails", "units": "1000"}]
    assert terms["P1Y"]["meteredQuantityIncluded"] == [{"dimensionId": "emails", "units": "12000"}]
    assert silver["planComponents"]["meteringDimensions"] == [
        {"id": "emails", "currency": "USD", "pricePerUnit": 0.01, "unitOfMeasure": "per email", "displayName": "Emails sent"}]
    only = raw(marketplace, f"/{sid}/listAvailablePlans?planId=gold")["plans"]
    assert [p["planId"] for p in only] == ["gold"]

    fo.activate_subscription(sid, SubscriberPlan(plan_id="per-seat", quantity=5))
    active = fo.get_subscription(sid)
    check_subscription(active, sid, "per-seat", "Subscribed", 5, demo)
    assert active.term.start_date is not None and active.term.end_date > active.term.start_date
    assert (active.term.end_date - active.term.start_date).days in (27, 28, 29, 30)  # start + 1 month - 1 day
    check_raw_subscription(raw(marketplace, f"/{sid}"), "Subscribed")

    headers = fo.update_subscription(sid, SubscriberPlan(plan_id="team-pro"), cls=lambda resp, body, h: resp.http_response.headers)
    location = headers["Operation-Location"]
    assert location.startswith(marketplace.base_url + f"/api/saas/subscriptions/{sid}/operations/")
    op_id = location.split("/operations/")[1].split("?")[0]
    assert headers["Operation-Id"] == op_id

    pending = so.list_operations(sid).operations
    assert [o.id for o in pending] == [op_id]
    op = so.get_operation_status(sid, op_id)
    assert op.action == "ChangePlan" and op.plan_id == "team-pro" and op.subscription_id == sid
    assert op.status in ("NotStarted", "InProgress")
    assert op.publisher_id == demo["publisherId"] and op.offer_id == "contoso-analytics"
    so.update_operation_status(sid, op_id, UpdateOperation(status="Success"))
    assert so.get_operation_status(sid, op_id).status == "Succeeded"
    changed = fo.get_subscription(sid)
    assert changed.plan_id == "team-pro" and changed.is_free_trial is False  # moving to a plan without trial ends it
    assert so.list_operations(sid).operations == []

    headers = fo.update_subscription(sid, SubscriberPlan(quantity=12), cls=lambda resp, body, h: resp.http_response.headers)
    qop = headers["Operation-Id"]
    assert so.get_operation_status(sid, qop).action == "ChangeQuantity"
    so.update_operation_status(sid, qop, UpdateOperation(status="Success"))
    assert fo.get_subscription(sid).quantity == 12

    status, headers = fo.delete_subscription(sid, cls=lambda resp, body, h: (resp.http_response.status_code, resp.http_response.headers))
    assert status == 202
    done = so.get_operation_status(sid, headers["Operation-Id"])
    assert done.action == "Unsubscribe" and done.status == "Succeeded"
    gone = fo.get_subscription(sid)
    assert gone.saas_subscription_status == "Unsubscribed" and gone.quantity is None


def test_errors_the_sdk_sees(marketplace):
    client = sdk(marketplace)
    fo = client.fulfillment_operations
    # 0.9.1 treats 400/403/404 as expected statuses and returns None.
    assert fo.resolve(x_ms_marketplace_token="not-a-token") is None
    assert fo.get_subscription(str(uuid.uuid4())) is None
    raw = requests.get(f"{marketplace.base_url}/api/saas/subscriptions/{uuid.uuid4()}?api-version=2018-08-31",
                       headers={"Authorization": "Bearer " + marketplace.token, "x-ms-requestid": "abc-123"})
    assert raw.status_code == 404
    assert raw.json()["code"] == "EntityNotFound"
    assert raw.headers["x-ms-requestid"] == "abc-123" and raw.headers["x-ms-correlationid"]
