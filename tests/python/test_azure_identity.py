"""issue 3: azure-identity's ClientSecretCredential, pointed at Mercato's HTTPS authority, gets a token that
Mercato's /api accepts — with no code change beyond the authority and the CA bundle."""
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

SCOPE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"


@pytest.fixture
def https_mercato(mercato):
    tls_dir = mercato.workdir / "tls"
    subprocess_out = mercato.run("tls", "init", "--dir", str(tls_dir), database=False)
    assert "ca.pem" in subprocess_out
    ca = str(tls_dir / "ca.pem")
    mercato.serve("--tls-cert", str(tls_dir / "server.pem"), "--tls-key", str(tls_dir / "server-key.pem"),
                  scheme="https", ca=ca)
    return mercato, ca


def credential(demo, base_url, ca, secret=None):
    return ClientSecretCredential(demo["tenantId"], demo["clientId"], secret or demo["clientSecret"],
                                  authority=base_url, disable_instance_discovery=True, connection_verify=ca)


def test_client_secret_credential_token_is_accepted_by_api(https_mercato):
    mercato, ca = https_mercato
    demo = mercato.demo()
    token = credential(demo, mercato.base_url, ca).get_token(SCOPE)
    assert token.token.count(".") == 2
    response = requests.get(mercato.base_url + "/api/partner/v1/account",
                            headers={"Authorization": "Bearer " + token.token}, verify=ca)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["publisherId"] == demo["publisherId"]
    assert body["caller"] == {"type": "app", "id": demo["clientId"], "roles": ["Manager"]}
    assert response.headers["x-ms-requestid"]


def test_wrong_secret_is_refused_like_entra(https_mercato):
    mercato, ca = https_mercato
    demo = mercato.demo()
    with pytest.raises(ClientAuthenticationError) as err:
        credential(demo, mercato.base_url, ca, secret="not-the-secret").get_token(SCOPE)
    assert "AADSTS7000215" in str(err.value)


def test_api_refuses_missing_and_tampered_tokens(https_mercato):
    mercato, ca = https_mercato
    demo = mercato.demo()
    token = credential(demo, mercato.base_url, ca).get_token(SCOPE).token
    missing = requests.get(mercato.base_url + "/api/partner/v1/account", verify=ca)
    assert missing.status_code == 401
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    forged = requests.get(mercato.base_url + "/api/partner/v1/account",
                          headers={"Authorization": "Bearer " + tampered}, verify=ca)
    assert forged.status_code == 403
    assert forged.json()["code"] == "Forbidden"


def test_plain_http_serves_discovery_and_v1_tokens(mercato):
    base = mercato.serve()
    demo = mercato.demo()
    discovery = requests.get(f"{base}/{demo['tenantId']}/v2.0/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"] == f"{base}/{demo['tenantId']}/oauth2/v2.0/token"
    reply = requests.post(f"{base}/{demo['tenantId']}/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": demo["clientId"], "client_secret": demo["clientSecret"],
        "resource": "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"})
    assert reply.status_code == 200
    assert reply.json()["expires_in"] == "3599"
