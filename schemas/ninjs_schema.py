"""Validation of ninjs items against the official IPTC schema of their version (``schemas/ninjs/``).

The version is the declared one (``standard.version`` or ``$schema``) when we ship that schema, else
the newest shipped minor of the detected major. ninjs 1.x has no shipped schema and is not validated.
The schemas ``$ref`` GeoJSON by URL; nothing is ever fetched: unknown references resolve to ``{}``
(anything goes), so a ``geojson`` member is accepted unchecked.
"""

from __future__ import annotations

import functools
import json
import re
from importlib.resources import files

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

VERSIONS = ("2.0", "2.1", "2.2", "3.0", "3.1")
_DETAIL_CHARS = 300


@functools.cache
def schema(version: str) -> dict:
    return json.loads(files("schemas").joinpath(f"ninjs/ninjs-schema_{version}.json").read_text("utf-8"))


def _offline(uri: str) -> Resource:
    # Only GeoJSON is referenced remotely; never touch the network from a worker.
    return Resource.from_contents({}, default_specification=DRAFT202012)


@functools.cache
def _validator(version: str):
    s = schema(version)
    return validator_for(s)(s, registry=Registry(retrieve=_offline))


def schema_version(item: dict, major: str) -> str | None:
    """The shipped schema version to validate an item of ``major`` (e.g. "2") against, or None."""
    declared = None
    std = item.get("standard")
    if isinstance(std, dict):
        declared = str(std.get("version", ""))
    elif isinstance(item.get("$schema"), str):
        m = re.search(r"ninjs-schema_(\d+\.\d+)", item["$schema"])
        declared = m.group(1) if m else None
    if declared in VERSIONS and declared.startswith(f"{major}."):
        return declared
    shipped = [v for v in VERSIONS if v.startswith(f"{major}.")]
    return shipped[-1] if shipped else None


def ninjs_error(item: dict, major: str) -> str | None:
    """One line naming the schema, the JSON path and the problem, or None when the item is valid."""
    version = schema_version(item, major)
    if version is None:
        return None
    # "$schema" declares what the item claims to follow; it is not a ninjs property itself.
    error = best_match(_validator(version).iter_errors({k: v for k, v in item.items() if k != "$schema"}))
    if error is None:
        return None
    path = "/" + "/".join(map(str, error.absolute_path))
    return f"ninjs {version} schema: {path}: {error.message}"[:_DETAIL_CHARS]


def is_valid(item: dict, version: str) -> bool:
    return _validator(version).is_valid(item)
