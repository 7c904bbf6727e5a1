"""Test oracles: JSON schemas from Microsoft's OpenAPI files and response shapes from the live recordings."""
import copy
import json
from functools import lru_cache
from pathlib import Path

import jsonschema


def _nullable(node):
    """OpenAPI 3.0 `nullable: true` → JSON Schema's type unions."""
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False):
            t = node.get("type")
            if isinstance(t, str):
                node["type"] = [t, "null"]
            if "enum" in node:
                node["enum"] = list(node["enum"]) + [None]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@lru_cache(maxsize=None)
def spec(path: str):
    return _nullable(json.loads(Path(path).read_text()))


def validate(reference: Path, api: str, component: str, instance):
    """Validates `instance` against components/schemas/`component` of the OpenAPI file `api` (e.g. saasapi.v2.json)."""
    s = spec(str(reference / "openapi" / api))
    schema = {"$ref": f"#/components/schemas/{component}", "components": copy.deepcopy(s["components"])}
    jsonschema.Draft4Validator(schema).validate(instance)


def response_schema(reference: Path, api: str, path: str, method: str, status: str):
    """The documented JSON schema of a response, or None."""
    s = spec(str(reference / "openapi" / api))
    op = s["paths"][path][method]
    content = op["responses"].get(status, {}).get("content", {})
    for media in ("application/json", "text/json", "text/plain"):
        if media in content and "schema" in content[media]:
            return {**content[media]["schema"], "components": s["components"]}
    return None


def validate_response(reference: Path, api: str, path: str, method: str, status: int, body):
    schema = response_schema(reference, api, path, method, str(status))
    assert schema is not None, f"{method.upper()} {path} documents no JSON body for {status}"
    jsonschema.Draft4Validator(schema).validate(body)


def recording(reference: Path, name: str):
    return json.loads((reference / "session-records" / "commercial-marketplace-client-dotnet" / f"{name}.json").read_text())


def recorded_keys(reference: Path, name: str, pick):
    """Keys of an object in a recorded response body, chosen by `pick(entries)`."""
    return set(pick(recording(reference, name)["Entries"]).keys())
