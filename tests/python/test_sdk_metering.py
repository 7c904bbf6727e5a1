"""issue 7: the official SDK posts single and batch usage events to Mercato's Metering API."""
import datetime

import requests
from azuremarketplace.microsoft.marketplace.meter import MeteringAPI
from azuremarketplace.microsoft.marketplace.meter.models import UsageEvent

from test_sdk_fulfillment import BearerPolicy, StaticCredential


def test_single_and_batch_usage_with_the_official_sdk(marketplace):
    bought = marketplace.purchase("silver")
    sid = bought["subscriptionId"]
    api = f"{marketplace.base_url}/api"
    auth = {"Authorization": "Bearer " + marketplace.token}
    activated = requests.post(f"{api}/saas/subscriptions/{sid}/activate?api-version=2018-08-31", json={"planId": "silver"}, headers=auth)
    assert activated.status_code == 200, activated.text

    cred = StaticCredential(marketplace.token)
    meter = MeteringAPI(cred, base_url=api, authentication_policy=BearerPolicy(cred)).metering_operations
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    when = now - datetime.timedelta(minutes=5)

    ok = meter.post_usage_event(UsageEvent(resource_id=sid, quantity=5, dimension="emails", effective_start_time=when, plan_id="silver"))
    assert ok is not None and ok.status == "Accepted" and ok.resource_id == sid and ok.quantity == 5
    assert ok.usage_event_id and ok.dimension == "emails" and ok.plan_id == "silver"

    # Same resource, dimension and hour: 409 Conflict, which 0.9.1 treats as an expected status (returns None);
    # the raw body is the documented duplicate shape.
    assert meter.post_usage_event(UsageEvent(resource_id=sid, quantity=1, dimension="emails", effective_start_time=when, plan_id="silver")) is None
    raw = requests.post(f"{api}/usageEvent?api-version=2018-08-31", headers=auth, json={
        "resourceId": sid, "quantity": 1, "dimension": "emails", "effectiveStartTime": when.strftime("%Y-%m-%dT%H:%M:%S"), "planId": "silver"})
    assert raw.status_code == 409
    body = raw.json()
    assert body["code"] == "Conflict" and body["message"] == "This usage event already exist."
    assert body["additionalInfo"]["acceptedMessage"]["usageEventId"] == ok.usage_event_id
    assert body["additionalInfo"]["acceptedMessage"]["status"] == "Duplicate"

    # Batch: 0.9.1 sends a bare array and expects a bare array back.
    earlier = [now - datetime.timedelta(hours=h) for h in (2, 3)]
    results = meter.post_batch_usage_event([
        UsageEvent(resource_id=sid, quantity=7, dimension="emails", effective_start_time=earlier[0], plan_id="silver"),
        UsageEvent(resource_id=sid, quantity=8, dimension="emails", effective_start_time=earlier[1], plan_id="silver"),
        UsageEvent(resource_id=sid, quantity=9, dimension="nope", effective_start_time=earlier[1], plan_id="silver"),
    ])
    assert [r.status for r in results] == ["Accepted", "Accepted", "InvalidDimension"]

    # The OpenAPI shape, {"request": [...]} → {"count", "result"}.
    spec = requests.post(f"{api}/batchUsageEvent?api-version=2018-08-31", headers=auth, json={"request": [
        {"resourceId": sid, "quantity": 2.5, "dimension": "emails", "effectiveStartTime": (now - datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S"), "planId": "silver"}]})
    assert spec.status_code == 200 and spec.json()["count"] == 1 and spec.json()["result"][0]["quantity"] == 2.5

    usage = requests.get(f"{api}/usageEvents", headers=auth, params={"api-version": "2018-08-31", "usageStartDate": (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")})
    assert usage.status_code == 200
    total = sum(row["submittedQuantity"] for row in usage.json() if row["usageResourceId"] == sid)
    assert total == 5 + 7 + 8 + 2.5
