"""Validation of enriched and dead-letter records against the packaged JSON Schemas (draft 2020-12).

Both functions raise :class:`jsonschema.ValidationError` (the most relevant error when there are
several). :func:`validate_enriched` also checks what a schema cannot express: every span lies inside
``body_text`` and its ``text`` equals ``body_text[start:end]``, and every quote speaker's ``entity``
names an entry of ``entities``.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

ENRICHED_SCHEMA = "enriched-v1.schema.json"
DEADLETTER_SCHEMA = "deadletter-v1.schema.json"


@functools.cache
def load_schema(name: str) -> dict:
    # importlib.resources reads package data from wherever `schemas` is installed (wheel, zip, source).
    return json.loads(files("schemas").joinpath(name).read_text(encoding="utf-8"))


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _validate(name: str, record) -> None:
    error = best_match(_validator(name).iter_errors(record))
    if error is not None:
        raise error


def validate_deadletter(record) -> None:
    _validate(DEADLETTER_SCHEMA, record)


def validate_enriched(record) -> None:
    _validate(ENRICHED_SCHEMA, record)
    body = record["body_text"]
    for path, span in _spans(record):
        start, end = span["start"], span["end"]
        if type(start) is not int or type(end) is not int:  # JSON Schema counts 1.0 as an integer
            problem = f"offsets must be integers, not {start!r}:{end!r}"
        elif not start <= end <= len(body):
            problem = f"span [{start}:{end}] is not inside body_text (length {len(body)})"
        elif "text" in span and body[start:end] != span["text"]:
            problem = f"body_text[{start}:{end}] is {_short(body[start:end])}, not {_short(span['text'])}"
        else:
            continue
        raise ValidationError(f"{'/'.join(map(str, path))}: {problem}", path=path)
    names = {e["name"] for e in record["entities"]}
    for i, quote in enumerate(record["quotes"]):
        entity = (quote["speaker"] or {}).get("entity")
        if entity is not None and entity not in names:
            raise ValidationError(
                f"quotes/{i}/speaker/entity: {_short(entity)} is not the name of any entity",
                path=["quotes", i, "speaker", "entity"],
            )


def _spans(record):
    for i, entity in enumerate(record["entities"]):
        for j, mention in enumerate(entity["mentions"]):
            yield ["entities", i, "mentions", j], mention
    for i, quote in enumerate(record["quotes"]):
        for key in ("content", "cue", "speaker"):
            if quote[key] is not None:
                yield ["quotes", i, key], quote[key]
    for i, sentence in enumerate(record["sentiment"]["sentences"]):
        yield ["sentiment", "sentences", i], sentence


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
