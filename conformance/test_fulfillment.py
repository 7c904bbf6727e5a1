"""SaaS Fulfillment API v2: every operation's status codes, headers and JSON shapes against the OpenAPI file."""
import uuid

import pytest

from oracle import validate, validate_response

API = "saasapi.v2.json"


@pytest.mark.group("fulfillment")
def test_resolve_get_plans_activate(target, reference):
    p = target.purchase()
    r = target.post("/saas/subscriptions/resolve", headers=target.headers(**{"x-ms-marketplace-token": p["token"]}))
    assert r.status_code == 200, r.text
    validate_response(reference, API, "/saas/subscriptions/resolve", "post", 200, r.json())
    sid = r.json()["id"]
    assert r.json()["subscription"]["saasSubscriptionStatus"] == "PendingFulfillmentStart"
    r = target.get(f"/saas/subscriptions/{sid}")
    assert r.status_code == 200
    validate_response(reference, API, "/saas/subscriptions/{subscriptionId}", "get", 200, r.json())
    r = target.get(f"/saas/subscriptions/{sid}/listAvailablePlans")
    assert r.status_code == 200
    validate_response(reference, API, "/saas/subscriptions/{subscriptionId}/listAvailablePlans", "get", 200, r.json())
    assert target.flat_plan in {p["planId"] for p in r.json()["plans"]}
    r = target.post(f"/saas/subscriptions/{sid}/activate", {"planId": target.flat_plan})
    assert r.status_code == 200, r.text
    s = target.get(f"/saas/subscriptions/{sid}").json()
    assert s["saasSubscriptionStatus"] == "Subscribed"
    assert s["term"]["startDate"] and s["term"]["endDate"] and s["term"]["termUnit"] in ("P1M", "P1Y", "P2Y", "P3Y")


@pytest.mark.group("fulfillment")
def test_resolve_with_a_bad_token_is_400(target):
    r = target.post("/saas/subscriptions/resolve", headers=target.headers(**{"x-ms-marketplace-token": "not-a-marketplace-token"}))
    assert r.status_code == 400


@pytest.mark.group("fulfillment")
def test_unknown_subscription_is_404(target):
    assert target.get(f"/saas/subscriptions/{uuid.uuid4()}").status_code == 404


@pytest.mark.group("fulfillment")
@pytest.mark.parametrize("version, code", [(None, "ApiVersionUnspecified"), ("2099-01-01", "UnsupportedApiVersion"), ("garbage", "UnsupportedApiVersion")])
def test_api_version_is_required_and_checked(target, version, code):
    # spec-saas §1: the ASP.NET API-versioning envelope, {"Error":{"Code","Message"}}.
    r = target.get("/saas/subscriptions/", **{"api-version": version})
    assert r.status_code == 400
    assert r.json()["Error"]["Code"] == code
    assert r.json()["Error"]["Message"]


@pytest.mark.group("operations")
def test_change_plan_operation_flow(target, reference):
    sid = target.active_subscription()
    r = target.patch(f"/saas/subscriptions/{sid}", {"planId": target.other_plan})
    assert r.status_code == 202, r.text
    location = r.headers.get("Operation-Location")
    op_id = r.headers.get("Operation-Id")
    assert location and op_id and location.startswith("http") and op_id in location
    r = target.get(f"/saas/subscriptions/{sid}/operations")
    assert r.status_code == 200
    validate_response(reference, API, "/saas/subscriptions/{subscriptionId}/operations", "get", 200, r.json())
    assert op_id in {o["id"] for o in r.json()["operations"]}
    r = target.get(f"/saas/subscriptions/{sid}/operations/{op_id}")
    assert r.status_code == 200
    validate(reference, API, "SaaSOperation", r.json())
    assert r.json()["action"] == "ChangePlan" and r.json()["planId"] == target.other_plan
    r = target.patch(f"/saas/subscriptions/{sid}/operations/{op_id}", {"status": "Success"})
    assert r.status_code == 200, r.text
    assert target.get(f"/saas/subscriptions/{sid}").json()["planId"] == target.other_plan
    # Completed operations can't be updated again.
    assert target.patch(f"/saas/subscriptions/{sid}/operations/{op_id}", {"status": "Success"}).status_code == 409


@pytest.mark.group("operations")
def test_delete_returns_202_and_ends_unsubscribed(target):
    sid = target.active_subscription()
    r = target.delete(f"/saas/subscriptions/{sid}")
    assert r.status_code == 202
    assert r.headers.get("Operation-Location") and r.headers.get("Operation-Id")
    s = target.get(f"/saas/subscriptions/{sid}").json()
    assert s["saasSubscriptionStatus"] == "Unsubscribed"


@pytest.mark.group("operations")
def test_patch_with_plan_and_quantity_together_is_400(target):
    sid = target.active_subscription()
    assert target.patch(f"/saas/subscriptions/{sid}", {"planId": target.other_plan, "quantity": 5}).status_code == 400


@pytest.mark.group("paging")
def test_list_pages_with_absolute_next_links(target, reference):
    for _ in range(3):
        target.purchase()
    seen = set()
    url = target.url("/saas/subscriptions/")
    pages = 0
    while url:
        import requests
        r = requests.get(url, headers=target.headers(), timeout=30)
        assert r.status_code == 200
        validate_response(reference, API, "/saas/subscriptions/", "get", 200, r.json())
        items = r.json()["subscriptions"]
        ids = {s["id"] for s in items}
        assert not (ids & seen), "a subscription appeared on two pages"
        seen |= ids
        url = r.json().get("@nextLink") or None
        if url:
            assert url.startswith("http"), "@nextLink must be an absolute URL"
            assert "api-version=" in url
        pages += 1
        assert pages < 1000
    assert len(seen) >= 3
