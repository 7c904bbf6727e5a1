"""Property-based robustness from Microsoft's OpenAPI files: whatever schemathesis generates (valid and invalid), the
target never answers with a 5xx. Bounded by --schemathesis-examples per operation."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


def _loader(api):
    def fixture(reference, target, pytestconfig):
        if "schemathesis" in (pytestconfig.getoption("--skip") or ""):
            pytest.skip("--skip schemathesis")
        return schemathesis.openapi.from_path(str(reference / "openapi" / api))
    return fixture


saas_schema = pytest.fixture(scope="session")(_loader("saasapi.v2.json"))
metering_schema = pytest.fixture(scope="session")(_loader("meteringapi.v1.json"))

saas = schemathesis.pytest.from_fixture("saas_schema")
metering = schemathesis.pytest.from_fixture("metering_schema")

EXAMPLES = int(__import__("os").environ.get("CONFORMANCE_EXAMPLES", "30"))
RELAXED = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _call(case, target):
    # A valid token on every call, so generated inputs reach the handlers instead of stopping at authentication.
    response = case.call(base_url=target.base_url, headers={"Authorization": f"Bearer {target.token()}"})
    case.validate_response(response, checks=[not_a_server_error])


@pytest.mark.group("schemathesis")
@saas.parametrize()
@RELAXED
def test_fulfillment_never_5xx(case, target):
    _call(case, target)


@pytest.mark.group("schemathesis")
@metering.parametrize()
@RELAXED
def test_metering_never_5xx(case, target):
    _call(case, target)
