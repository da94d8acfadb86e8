"""Both SDKs' models match the schema the hub serves, field for field.

The core's resource shapes (the main API's Structs) are the one source of a
resource's fields; the SDKs restate them by hand in their own language. This
test reads the OpenAPI schema from the app and each SDK's model (the Python
dataclasses of ``continuata.models``, the TypeScript interfaces of
``sdk/js/src/index.d.ts``) and fails when a field is missing on either side
or when its type disagrees. So a field added in the core reaches both SDKs
in the same change, or the suite says which model lacks it.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import tempfile
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from continuata import models
from hub.app import create_app
from hub.testing.app import settings_for_tests

ROOT = Path(__file__).resolve().parents[2]
TYPESCRIPT = ROOT / "sdk" / "js" / "src" / "index.d.ts"

#: SDK model name → the schema component it restates (same name unless listed).
SCHEMA_OF = {"DownloadUrl": "DownloadLink", "PurchaseResult": "PurchaseRecorded"}
#: Python models that are the SDK's own (no resource of the API).
PYTHON_OWN = {"Page", "UploadProgress"}
#: TypeScript interfaces that are the SDK's own.
TYPESCRIPT_OWN = {"ClientOptions", "UploadSource", "UploadProgress"}
#: Fields an SDK leaves out on purpose, with the reason.
LEFT_OUT = {
    # The envelope's flag: the Python SDK raises on failure instead.
    ("python", "DownloadUrl", "success"): "an error raises; success is always true",
}

ANY = "any"


@pytest.fixture(scope="module")
def components() -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as data_dir:
        schema = create_app(settings_for_tests(Path(data_dir))).openapi_schema.to_schema()
    return schema["components"]["schemas"]


# --- kinds: the one vocabulary both sides are reduced to --------------------


def schema_kind(node: dict) -> str:
    """``string``, ``datetime``, ``integer``, ``number``, ``boolean``,
    ``array``, ``object`` or ``any`` for an OpenAPI property (null removed)."""
    for union in ("oneOf", "anyOf"):
        if union in node:
            kinds = {schema_kind(option) for option in node[union]} - {"null"}
            return kinds.pop() if len(kinds) == 1 else ANY
    if "$ref" in node:
        return "object"
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind == "string" and node.get("format") == "date-time":
        return "datetime"
    if kind is None:
        return "null" if node.get("type") == "null" else ANY
    return kind


def python_kind(hint: Any) -> str:
    """The kind of a Python model field's annotation (``None`` removed)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        kinds = {python_kind(arg) for arg in typing.get_args(hint) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else ANY
    if hint is Any:
        return ANY
    if hint is datetime:
        return "datetime"
    if hint is str:
        return "string"
    if hint is bool:
        return "boolean"
    if hint is int:
        return "integer"
    if hint is float:
        return "number"
    if origin is list or hint is list:
        return "array"
    if origin is dict or hint is dict or dataclasses.is_dataclass(hint):
        return "object"
    raise AssertionError(f"no kind for {hint!r}")


def typescript_kind(text: str) -> str:
    """The kind of a TypeScript property type (``null`` and ``undefined`` removed)."""
    options = [part.strip() for part in split_top_level(text, "|")]
    options = [part for part in options if part not in ("null", "undefined")]
    kinds = set()
    for option in options:
        if option == "Date":
            kinds.add("datetime")
        elif option == "string" or re.fullmatch(r"'[^']*'", option):
            kinds.add("string")
        elif option == "number":
            kinds.add("number")
        elif option in ("boolean", "true", "false"):
            kinds.add("boolean")
        elif option.endswith("[]") or option.startswith("Array<"):
            kinds.add("array")
        elif option == "unknown":
            kinds.add(ANY)
        elif option.startswith(("{", "Record<")) or re.fullmatch(r"[A-Z]\w*", option):
            kinds.add("object")
        else:
            raise AssertionError(f"no kind for the TypeScript type {option!r}")
    return kinds.pop() if len(kinds) == 1 else ANY


def same_kind(sdk: str, served: str) -> bool:
    """Whether an SDK's kind agrees with the schema's (TypeScript's one
    ``number`` stands for integers too)."""
    return ANY in (sdk, served) or sdk == served or (sdk == "number" and served == "integer")


# --- reading the SDKs ----------------------------------------------------------


def python_models() -> dict[str, dict[str, str]]:
    """Each Python model's fields, by wire name (camelCase), with their kinds."""
    found = {}
    for name, cls in vars(models).items():
        if not (dataclasses.is_dataclass(cls) and cls.__module__ == models.__name__) or name in PYTHON_OWN:
            continue
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        found[name] = {
            models.camel(spec.name): python_kind(hints[spec.name])
            for spec in dataclasses.fields(cls)
            if spec.name != "raw"
        }
    return found


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside brackets of any kind."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "{[(<":
            depth += 1
        elif char in "}])>":
            depth -= 1
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def typescript_models() -> dict[str, dict[str, str]]:
    """Each exported interface of index.d.ts, its own and inherited fields
    with their kinds; an index signature (``[field: string]: unknown``) is
    not a field."""
    source = re.sub(r"/\*.*?\*/", "", TYPESCRIPT.read_text(), flags=re.S)
    source = re.sub(r"//[^\n]*", "", source)
    found: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"export interface (\w+)(?: extends (\w+))? \{", source):
        name, parent = match.groups()
        if name in TYPESCRIPT_OWN:
            continue
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            end += 1
        body = source[match.end(): end - 1]
        fields = dict(found.get(parent, {})) if parent else {}
        for member in split_top_level(body.replace("\n", ";"), ";"):
            member = member.strip()
            if not member or member.startswith("["):
                continue
            key, _, kind = member.partition(":")
            if "(" in key:  # a method (an SDK's own interface)
                continue
            fields[key.strip().rstrip("?")] = typescript_kind(kind.strip())
        found[name] = fields
    return found


# --- the checks ------------------------------------------------------------------


def mismatches(sdk: str, models_: dict[str, dict[str, str]], components: dict[str, dict]) -> list[str]:
    problems = []
    for name, fields in sorted(models_.items()):
        component = SCHEMA_OF.get(name, name)
        if component not in components:
            problems.append(f"{sdk} {name}: the served schema has no {component}")
            continue
        served = {key: schema_kind(node) for key, node in components[component].get("properties", {}).items()}
        for key, kind in fields.items():
            if key not in served:
                problems.append(f"{sdk} {name}.{key}: not a field of {component} in the served schema")
            elif not same_kind(kind, served[key]):
                problems.append(f"{sdk} {name}.{key}: {kind} in the SDK, {served[key]} in {component}")
        for key in served:
            if key not in fields and (sdk, name, key) not in LEFT_OUT:
                problems.append(f"{sdk} {name}: lacks {key} ({served[key]}) of {component}")
    return problems


def test_python_sdk_models_have_the_served_fields_and_types(components):
    assert mismatches("python", python_models(), components) == []


def test_typescript_sdk_models_have_the_served_fields_and_types(components):
    assert mismatches("typescript", typescript_models(), components) == []


def test_the_check_reads_every_model_and_catches_a_missing_field(components):
    """The readers see the models (a reader that found none would pass
    anything), and a field dropped from a model is reported."""
    python, typescript = python_models(), typescript_models()
    assert {"Purchase", "Token", "Product", "WebhookEndpoint"} <= set(python) & set(typescript)
    assert typescript["Version"]["fileCount"] == "number"  # inherited from VersionSummary
    dropped = {**python, "Purchase": {k: v for k, v in python["Purchase"].items() if k != "customerEmail"}}
    assert "python Purchase: lacks customerEmail (string) of Purchase" in mismatches("python", dropped, components)
    retyped = {**typescript, "Token": {**typescript["Token"], "usedCount": "string"}}
    assert "typescript Token.usedCount: string in the SDK, integer in Token" in mismatches(
        "typescript", retyped, components
    )
