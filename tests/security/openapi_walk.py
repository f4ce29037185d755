"""Walks the app's own OpenAPI document: every operation, its parameters and request body schemas."""

from collections.abc import Iterator
from typing import Any

from app.core.config import Settings
from app.main import create_app


def spec(tmp_path) -> dict[str, Any]:
    """The OpenAPI document of a freshly built app (no database needed)."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        _env_file=None,
    )
    return create_app(settings).openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation."""
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a $ref points at (or the schema itself)."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def leaves(
    doc: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (location, schema) reachable from schema, through refs, unions, properties and items."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        yield from leaves(doc, resolve(doc, schema), name, seen)
        return
    yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from leaves(doc, option, where, seen)
    for name, prop in schema.get("properties", {}).items():
        yield from leaves(doc, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from leaves(doc, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from leaves(doc, schema["additionalProperties"], f"{where}{{}}", seen)
