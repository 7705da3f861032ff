"""From HTTP to the JSON the services take, by the OpenAPI document.

A query string carries only text: each parameter is read as the type the document gives
it (`true`/`false` a boolean, digits an integer), and anything else is left as sent, for
the service to refuse. A JSON body is held to the document's JSON types: marshmallow, in
the services, would read "yes" as true and 5.5 as 5, which the document does not allow.
Every other rule (codes, ranges, formats, cross-field rules) is the service's own, so
each refusal comes from one place in the same words.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import MultiDict

from services.gateway.openapi import spec_dict
from services.gateway.routes import Endpoint
from shared.errors import InvalidInput

# What a value of the wrong JSON type is told, in words for staff.
EXPECTED = {
    "boolean": "Give true or false.",
    "integer": "Give a whole number.",
    "number": "Give a number.",
    "string": "Give text, in quotes.",
    "array": "Give a list, in [brackets].",
    "object": "Give an object, in {braces}.",
}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    path = "/api/v1" + endpoint.route.path
    for name in endpoint.route.path_fields:
        path = path.replace(f"<{name}>", "{" + name + "}")
    return spec_dict()["paths"][path][endpoint.route.method.lower()]


@cache
def _query_types(endpoint: Endpoint) -> dict[str, str]:
    return {p["name"]: p["schema"].get("type", "string")
            for p in _operation(endpoint).get("parameters", []) if p["in"] == "query"}


def query_payload(endpoint: Endpoint, args: MultiDict[str, str]) -> dict[str, Any]:
    """The query string as the service's input: each documented parameter read as its type."""
    types = _query_types(endpoint)
    payload: dict[str, Any] = {}
    for name in args:
        kind = types.get(name)
        payload[name] = args.getlist(name) if kind == "array" else _read(args[name], kind)
    _check(_query_validator(endpoint), payload)
    return payload


def _read(text: str, kind: str | None) -> Any:
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind == "integer" and text.lstrip("-").isdigit() and len(text) < 20:
        return int(text)
    return text


def check_body(endpoint: Endpoint, body: dict[str, Any]) -> None:
    """Refuse, naming each field, a body whose values are not of the documented JSON type."""
    validator = _body_validator(endpoint)
    if validator is not None:
        _check(validator, body)


@cache
def _body_validator(endpoint: Endpoint) -> OAS30Validator | None:
    body = _operation(endpoint).get("requestBody")
    if body is None:
        return None
    return _validator(body["content"]["application/json"]["schema"])


@cache
def _query_validator(endpoint: Endpoint) -> OAS30Validator:
    params = [p for p in _operation(endpoint).get("parameters", []) if p["in"] == "query"]
    return _validator({"type": "object",
                       "properties": {p["name"]: p["schema"] for p in params}})


def _validator(schema: dict[str, Any]) -> OAS30Validator:
    # The components travel with the schema, so its $refs resolve within the document.
    return OAS30Validator({"allOf": [schema], "components": spec_dict()["components"]})


def _check(validator: OAS30Validator, instance: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(instance):
        if error.validator != "type" or not error.absolute_path:
            continue  # not a question of JSON types: the service's to judge
        field = ".".join(str(part) for part in error.absolute_path)
        expected = error.validator_value
        message = "May not be null." if error.instance is None else \
            EXPECTED.get(expected if isinstance(expected, str) else "", "Wrong type.")
        errors.setdefault(field, []).append(message)
    if errors:
        raise InvalidInput("some values are not of the right type", errors)
