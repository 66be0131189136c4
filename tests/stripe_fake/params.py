"""Form decoding as the stripe library encodes it, and Stripe-shaped errors.

The library sends `application/x-www-form-urlencoded` bodies built by `stripe._encode._api_encode`:
nested dicts as `a[b][c]=v`, lists as `a[0]=v` (`a[]=v` from other clients), booleans as
`true`/`false`. Everything arrives as a string; the typed accessors below coerce it and answer
with the same error Stripe gives for a bad value.
"""

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class StripeError(Exception):
    """An API error rendered as Stripe's `{"error": {...}}` body with an HTTP status."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.decline_code = decline_code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        for name in ("code", "decline_code", "param"):
            value = getattr(self, name)
            if value is not None:
                error[name] = value
        if self.code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}


def to_json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, "invalid_request_error", message, param=param, code=code)


def no_such(kind: str, object_id: str, *, param: str | None = None) -> StripeError:
    """404 when the id is in the URL, 400 when it is a parameter (as Stripe does)."""
    status = 400 if param else 404
    return StripeError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param or "id",
    )


def decode_form(raw: str) -> dict[str, Any]:
    """`a[b][0]=x&a[c]=y&e[]=1` -> `{"a": {"b": ["x"], "c": "y"}, "e": ["1"]}`."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":  # `a[]`: append
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter name: {key}", param=key)
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class Params:
    """Typed access to decoded parameters; unknown top-level names are rejected like Stripe."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def allow(self, names: Iterable[str]) -> None:
        allowed = {*names, "expand"}
        for name in self.data:
            if name not in allowed:
                raise invalid(
                    f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
                )

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, *, required: bool = False, choices: Iterable[str] | None = None):
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise _missing(name)
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", param=name, code="parameter_invalid_string")
        if choices is not None and value not in set(choices):
            options = ", ".join(sorted(choices))
            raise invalid(
                f"Invalid {name}: must be one of {options}",
                param=name,
                code="parameter_invalid_string",
            )
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None):
        raw = self.data.get(name)
        if raw is None or raw == "":
            if required:
                raise _missing(name)
            return None
        if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
            raise invalid(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer")
        value = int(raw)
        if minimum is not None and value < minimum:
            raise invalid(
                f"This value must be greater than or equal to {minimum}.",
                param=name,
                code="parameter_invalid_integer",
            )
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self.data.get(name)
        if raw is None or raw == "":
            return default
        if raw not in ("true", "false"):
            raise invalid(f"Invalid boolean: {raw}", param=name, code="parameter_invalid_boolean")
        return raw == "true"

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {name}", param=name, code="parameter_invalid_object")
        return value

    def expand(self) -> list[str]:
        value = self.data.get("expand")
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


def _missing(name: str) -> StripeError:
    return invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")


def merge_metadata(current: dict[str, str], update: dict[str, Any], *, param: str = "metadata"):
    """Stripe semantics: keys are merged, an empty value deletes the key."""
    merged = dict(current)
    for key, value in update.items():
        if not isinstance(value, str):
            raise invalid("Invalid metadata value", param=f"{param}[{key}]")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=param)
    return merged
