"""Shapes the live service returned (session recordings by Microsoft's .NET client) that the OpenAPI files lack:
every key the live service sent must be there, with the same JSON type."""
import datetime as dt

import pytest

from oracle import recording

pytestmark = pytest.mark.group("recordings")

TYPES = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object", type(None): "null"}


def shape(value):
    return TYPES[type(value)]


def assert_same_shape(ours, recorded, path="", optional=()):
    for key, value in recorded.items():
        if key in optional:
            continue
        assert key in ours, f"{path}{key} is missing (the live service sends it)"
        if value is None or ours[key] is None:
            continue
        assert shape(ours[key]) == shape(value), f"{path}{key}: {shape(ours[key])} here, {shape(value)} live"
        if isinstance(value, dict):
            assert_same_shape(ours[key], value, f"{path}{key}.", optional)


def first(name, method, needle, status=200):
    for e in recording_entries(name):
        if e["RequestMethod"] == method and needle in e["RequestUri"] and e["StatusCode"] == status:
            return e
    raise AssertionError(f"no {method} {needle} in {name}")


def recording_entries(name):
    return recording(REFERENCE[0], name)["Entries"]


REFERENCE = []


@pytest.fixture(autouse=True)
def _reference(reference):
    REFERENCE[:] = [reference]  # the --reference directory, for the helpers above


def test_subscription_shape(target):
    sid = target.active_subscription()
    live = first("GetAllSubscriptionsPagedAsync", "GET", "/saas/subscriptions/")["ResponseBody"]["subscriptions"][0]
    ours = target.get(f"/saas/subscriptions/{sid}").json()
    # quantity is present only for per-seat plans; the recorded subscription was canceled, ours is active.
    assert_same_shape(ours, live, optional=("quantity",))


def test_resolve_shape(target):
    # The recorded resolve is of a Subscribed subscription (term dates present): resolve again after activation.
    p = target.purchase()
    token = target.headers(**{"x-ms-marketplace-token": p["token"]})
    sid = target.post("/saas/subscriptions/resolve", headers=token).json()["id"]
    assert target.post(f"/saas/subscriptions/{sid}/activate", {"planId": target.flat_plan}).status_code == 200
    live = first("ResolveSubscriptionAsync", "POST", "/resolve")["ResponseBody"]
    ours = target.post("/saas/subscriptions/resolve", headers=token).json()
    assert_same_shape(ours, live, optional=("quantity",))


def test_operation_shape_and_patch_headers(target):
    sid = target.active_subscription()
    r = target.patch(f"/saas/subscriptions/{sid}", {"planId": target.other_plan})
    live_patch = first("UpdateSubscriptionAsync", "PATCH", "/saas/subscriptions/", status=202)
    for header in ("Operation-Location", "Operation-Id"):
        assert any(h.lower() == header.lower() for h in live_patch["ResponseHeaders"]), f"the recording lacks {header}?"
        assert r.headers.get(header)
    live_op = first("UpdateSubscriptionAsync", "GET", "/operations/")["ResponseBody"]
    ours = target.get(f"/saas/subscriptions/{sid}/operations/{r.headers['Operation-Id']}").json()
    assert_same_shape(ours, live_op, optional=("quantity", "errorStatusCode", "errorMessage"))


def test_usage_shapes(target):
    sid = target.active_subscription()
    hour = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    event = {"resourceId": sid, "quantity": 20.5, "dimension": target.dimension, "effectiveStartTime": hour, "planId": target.flat_plan}
    ours = target.post("/usageEvent", event).json()
    live = first("PostSingleUsageWithResourceIdAsync", "POST", "/usageEvent")["ResponseBody"]
    assert_same_shape(ours, live)
    dup = target.post("/batchUsageEvent", {"request": [event]}).json()["result"][0]
    recorded_dups = [e for e in recording_entries("PostBatchUsageAsync") if e["StatusCode"] == 200]
    live_dup = next(x for e in recorded_dups for x in e["ResponseBody"]["result"] if x["status"] == "Duplicate")
    assert dup["status"] == "Duplicate"
    assert_same_shape(dup, live_dup)
