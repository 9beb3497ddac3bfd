"""The dossier API's OpenAPI document (docs/contracts/dossier_api.openapi.yaml), for the tests.

The document is the machine-readable form of the source contract; these helpers validate an httpx
exchange (the request as sent, the response as received) and single records against it with
``openapi-core`` / ``openapi-schema-validator``, so the simulator and the extractor are both held to
the same text rather than to each other.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import REPO

OPENAPI_PATH = REPO / "docs" / "contracts" / "dossier_api.openapi.yaml"


@cache
def document() -> dict[str, Any]:
    spec = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    validate_spec(spec)
    return spec


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(document())


class _Request:
    """An httpx request as openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query, keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data = response.content


def validate_request(request: httpx.Request) -> None:
    """Raises an openapi-core validation error if the request breaks the contract."""
    openapi().validate_request(_Request(request))


def validate_answer(response: httpx.Response) -> None:
    """Only the answer (for requests that break the contract on purpose)."""
    response.read()
    openapi().validate_response(_Request(response.request), _Response(response))


def validate_exchange(response: httpx.Response) -> None:
    """The request as sent and the answer as received, both against the contract."""
    response.read()
    request = _Request(response.request)
    openapi().validate_request(request)
    openapi().validate_response(request, _Response(response))


def schema_validator(name: str) -> OAS31Validator:
    """A validator of one record against ``components.schemas[name]`` (references resolved)."""
    spec = document()
    registry = Registry().with_resource("urn:dossier-api", DRAFT202012.create_resource(spec))
    ref = {"$ref": f"urn:dossier-api#/components/schemas/{name}"}
    return OAS31Validator(ref, registry=registry)


def record_fields(name: str) -> list[str]:
    """The record's properties in the document's order."""
    return list(document()["components"]["schemas"][name]["properties"])


def personal_fields() -> list[str]:
    props = document()["components"]["schemas"]["Dossier"]["properties"]
    return [f for f, p in props.items() if p.get("x-personal-data")]
