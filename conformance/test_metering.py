"""Marketplace Metering API v1: statuses, the duplicate body, batches and retrieval."""
import datetime as dt

import pytest

from oracle import validate, validate_response

API = "meteringapi.v1.json"
pytestmark = pytest.mark.group("metering")


def at(hours_ago):
    t = dt.datetime.now(dt.timezone.utc).replace(minute=5, second=0, microsecond=0) - dt.timedelta(hours=hours_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def metered(target):
    return target.active_subscription(target.flat_plan)


def test_accepted_then_duplicate_with_the_documented_body(target, reference, metered):
    event = {"resourceId": metered, "quantity": 5, "dimension": target.dimension, "effectiveStartTime": at(2), "planId": target.flat_plan}
    r = target.post("/usageEvent", event)
    assert r.status_code == 200, r.text
    validate_response(reference, API, "/usageEvent", "post", 200, r.json())
    assert r.json()["status"] == "Accepted"
    first_id = r.json()["usageEventId"]
    r = target.post("/usageEvent", event)
    assert r.status_code == 409
    body = r.json()
    validate(reference, API, "UsageEventConflictResponse", body)
    accepted = body["additionalInfo"]["acceptedMessage"]
    assert accepted["usageEventId"] == first_id and accepted["status"] == "Duplicate"
    # Publisher code parses the body as text: compact JSON, acceptedMessage keys in the documented order.
    text = r.text
    assert text.index('"usageEventId"') < text.index('"status"') < text.index('"messageTime"') < text.index('"resourceId"')


@pytest.mark.parametrize("change, status", [
    ({"effectiveStartTime": at(30)}, "Expired"),
    ({"dimension": "no-such-dimension"}, "InvalidDimension"),
    ({"resourceId": "00000000-0000-4000-8000-000000000000"}, "ResourceNotFound"),
    ({"quantity": -1}, "InvalidQuantity"),
])
def test_refusals_in_a_batch_carry_their_status(target, reference, metered, change, status):
    event = {"resourceId": metered, "quantity": 1, "dimension": target.dimension, "effectiveStartTime": at(3), "planId": target.flat_plan}
    event.update(change)
    r = target.post("/batchUsageEvent", {"request": [event]})
    assert r.status_code == 200, r.text
    validate_response(reference, API, "/batchUsageEvent", "post", 200, r.json())
    assert r.json()["count"] == 1
    assert r.json()["result"][0]["status"] == status


def test_single_refusal_is_400_with_details(target, metered):
    r = target.post("/usageEvent", {"resourceId": metered, "quantity": 1, "dimension": target.dimension, "effectiveStartTime": at(30), "planId": target.flat_plan})
    assert r.status_code == 400
    assert r.json().get("code") and r.json().get("message")


def test_batch_of_more_than_25_is_400(target, metered):
    events = [{"resourceId": metered, "quantity": 1, "dimension": target.dimension, "effectiveStartTime": at(4 + i), "planId": target.flat_plan} for i in range(26)]
    assert target.post("/batchUsageEvent", {"request": events}).status_code == 400


def test_batch_mixes_accepted_and_duplicate_per_hour(target, metered):
    events = [{"resourceId": metered, "quantity": 2, "dimension": target.dimension, "effectiveStartTime": at(5), "planId": target.flat_plan}] * 2
    r = target.post("/batchUsageEvent", {"request": events})
    assert [x["status"] for x in r.json()["result"]] == ["Accepted", "Duplicate"]


def test_usage_events_are_retrievable(target, reference, metered):
    start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).strftime("%Y-%m-%d")
    r = target.get("/usageEvents", usageStartDate=start)
    assert r.status_code == 200, r.text
    validate_response(reference, API, "/usageEvents", "get", 200, r.json())
    mine = [row for row in r.json() if row["usageResourceId"] == metered]
    assert mine and all(row["reconStatus"] in ("Submitted", "Accepted", "Rejected", "Mismatch") for row in mine)
    assert sum(row["submittedCount"] for row in mine) >= 2  # the accepted single event and the batch's accepted one
