"""Enriched / dead-letter JSON Schemas, schemas.validate, schemas.deadletter and the shipped ninjs schemas."""

import base64
import copy
import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas.deadletter import MAX_ORIGINAL_JSON_BYTES, make_deadletter
from schemas.formats import parse_raw
from schemas.validate import (
    DEADLETTER_SCHEMA,
    ENRICHED_SCHEMA,
    load_schema,
    validate_deadletter,
    validate_enriched,
)
from tests.support import DATA, REPO

NINJS_SCHEMAS = REPO / "schemas" / "ninjs"
KAFKA_MESSAGE_LIMIT = 1_000_000  # a little under the broker default message.max.bytes (1048588)


@pytest.fixture
def record() -> dict:
    return json.loads((DATA / "enriched_example.json").read_text(encoding="utf-8"))


def rejects(rec, match: str | None = None) -> ValidationError:
    with pytest.raises(ValidationError, match=match) as info:
        validate_enriched(rec)
    return info.value


# --- enriched ------------------------------------------------------------------------------------------


def test_schemas_load_as_package_resources():
    for name in (ENRICHED_SCHEMA, DEADLETTER_SCHEMA):
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        validators.Draft202012Validator.check_schema(schema)


def test_example_record_is_valid(record):
    validate_enriched(record)
    assert record["body_text"][record["quotes"][0]["content"]["start"]] == '"'


def test_top_level_additions_are_allowed(record):
    record["topics"] = ["defence"]
    validate_enriched(record)


def test_minimal_record_from_each_parsed_input_is_valid():
    for path in sorted((DATA / "ninjs").glob("*.json")):
        if path.name == "2.1_ntb_text.json":
            continue  # no body
        art = parse_raw(path.read_bytes()).to_dict()
        validate_enriched(
            {**art, "schema_version": 1, "enriched_at": art["received_at"], "entities": [], "quotes": [],
             "sentiment": {"label": "neutral", "score": 0.0, "sentences": []}}
        )


@pytest.mark.parametrize("field", load_schema(ENRICHED_SCHEMA)["required"])
def test_missing_required_field(record, field):
    del record[field]
    rejects(record, f"'{field}' is a required property")


def test_additions_to_entities_and_quotes_are_forward_compatible(record):
    # v1 consumers ignore fields they do not know, so adding one (e.g. salience) keeps schema_version 1.
    record["entities"][0]["salience"] = 0.5
    record["quotes"][0]["parts"] = []
    validate_enriched(record)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["schema_version"], 2),
        (["id"], ""),
        (["headline"], 3),
        (["body_text"], None),
        (["received_at"], "yesterday"),
        (["enriched_at"], "2024-05-01 12:00"),
        (["entities", 0, "label"], "PEOPLE"),
        (["entities", 0, "label"], "person"),
        (["entities", 0, "mentions"], []),
        (["entities", 0, "sentiment", "label"], "happy"),
        (["entities", 0, "sentiment", "score"], 1.5),
        (["entities", 0, "mentions", 0, "start"], -1),
        (["entities", 0, "mentions", 0, "start"], 1.0),
        (["entities", 0, "mentions", 0, "kb_id"], "Q212"),
        (["quotes", 0, "type"], "reported"),
        (["quotes", 0, "speaker", "entity"], 5),
        (["quotes", 0, "content"], None),
        (["sentiment", "label"], "mixed"),
        (["sentiment", "score"], -1.01),
        (["sentiment", "sentences", 0, "label"], "POSITIVE"),
    ],
)
def test_bad_values_are_rejected(record, path, value):
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    rejects(record)


def test_missing_nested_fields_are_rejected(record):
    for path in (["entities", 0, "sentiment"], ["quotes", 0, "cue"], ["sentiment", "sentences", 0, "score"]):
        broken = copy.deepcopy(record)
        target = broken
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        rejects(broken, "required property")


def test_offsets_must_match_text(record):
    mention = record["entities"][0]["mentions"][0]
    mention["start"] += 1
    error = rejects(record, r"entities/0/mentions/0: body_text\[1:7\] is 'kraine', not 'Ukraine'")
    assert list(error.path) == ["entities", 0, "mentions", 0]


def test_quote_and_speaker_offsets_are_checked(record):
    record["quotes"][0]["speaker"]["text"] = "Zelensky"
    rejects(record, "quotes/0/speaker")
    record = json.loads((DATA / "enriched_example.json").read_text(encoding="utf-8"))
    record["quotes"][1]["cue"]["end"] += 1
    rejects(record, "quotes/1/cue")


def test_spans_must_lie_inside_body(record):
    n = len(record["body_text"])
    record["sentiment"]["sentences"][-1]["end"] = n + 1
    rejects(record, f"sentiment/sentences/2: span .* is not inside body_text \\(length {n}\\)")
    record["sentiment"]["sentences"][-1].update(start=10, end=5)
    rejects(record, "not inside body_text")


def test_speaker_entity_must_name_an_entity(record):
    record["quotes"][0]["speaker"]["entity"] = "Zelenskyy"
    rejects(record, "is not the name of any entity")


# --- dead letters --------------------------------------------------------------------------------------


def dl(original, **kw):
    kw = {"topic": "articles-raw", "partition": 0, "offset": 17, **kw}
    return make_deadletter("invalid_json", "unexpected end of input", original, **kw)


def original_bytes(letter: dict) -> bytes:
    if letter["original_encoding"] == "base64":
        return base64.b64decode(letter["original"])
    return letter["original"].encode("utf-8")


def test_deadletter_utf8():
    letter = dl(b'{"body_text": "x"', article_id="a1", stage="parse")
    validate_deadletter(letter)
    assert set(letter) == {"schema_version", "id", "reason", "detail", "stage", "source", "original",
                           "original_encoding", "original_truncated", "original_size", "failed_at"}
    assert letter["schema_version"] == 1 and letter["id"] == "a1" and letter["stage"] == "parse"
    assert letter["source"] == {"topic": "articles-raw", "partition": 0, "offset": 17}
    assert (letter["original"], letter["original_encoding"]) == ('{"body_text": "x"', "utf-8")
    assert letter["original_truncated"] is False and letter["original_size"] == 17
    assert letter["failed_at"].endswith("Z")


def test_deadletter_detail_is_one_bounded_line():
    letter = make_deadletter("internal_error", "Traceback:\n  line 1\n" + "x" * 10_000, b"", topic="t",
                             partition=0, offset=0)
    assert letter["detail"].startswith("Traceback: line 1 xxx") and len(letter["detail"]) == 4000


def test_deadletter_binary_is_base64():
    raw = b"\xff\xfe\x00binary"
    letter = dl(raw)
    validate_deadletter(letter)
    assert letter["original_encoding"] == "base64" and base64.b64decode(letter["original"]) == raw
    assert letter["id"] is None and letter["stage"] is None


def test_deadletter_without_kafka_position_or_value():
    letter = dl(None, topic=None, partition=None, offset=None)
    validate_deadletter(letter)
    assert letter["original"] == "" and letter["original_size"] == 0


@pytest.mark.parametrize(
    "raw",
    [
        "é".encode() * 1_500_000,  # 3 MB of valid UTF-8
        b"\x00" * 2_000_000,  # valid UTF-8 that JSON escapes to 6 bytes per character
        bytes(range(256)) * 8_000,  # 2 MB of binary
    ],
    ids=["utf8", "escaped", "binary"],
)
def test_huge_originals_are_truncated_to_fit_a_kafka_message(raw):
    letter = dl(raw, article_id="x" * 1000)
    validate_deadletter(letter)
    assert letter["original_truncated"] is True and letter["original_size"] == len(raw)
    kept = original_bytes(letter)
    assert raw.startswith(kept) and len(kept) > 100_000
    assert len(orjson.dumps(letter["original"])) <= MAX_ORIGINAL_JSON_BYTES
    assert len(orjson.dumps(letter)) < KAFKA_MESSAGE_LIMIT


def test_deadletter_schema_rejects_bad_records():
    letter = dl(b"x")
    for field in load_schema(DEADLETTER_SCHEMA)["required"]:
        broken = {k: v for k, v in letter.items() if k != field}
        with pytest.raises(ValidationError, match=field):
            validate_deadletter(broken)
    for key, value in [("original_encoding", "latin-1"), ("schema_version", 2), ("reason", ""),
                       ("failed_at", "now"), ("source", {"topic": "t", "partition": -1, "offset": 0})]:
        with pytest.raises(ValidationError):
            validate_deadletter({**letter, key: value})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.text(max_size=50), st.none() | st.integers(0, 2**40))
def test_deadletter_properties(raw, detail, offset):
    letter = make_deadletter("wrong_type", detail, raw, topic="t", partition=3, offset=offset)
    validate_deadletter(letter)
    assert original_bytes(letter) == raw and letter["original_truncated"] is False
    assert orjson.loads(orjson.dumps(letter)) == letter


# --- shipped ninjs schemas -----------------------------------------------------------------------------


def offline_registry() -> Registry:
    # The ninjs schemas $ref GeoJSON by URL; tests never use the network, so stand in a permissive schema.
    def retrieve(uri: str) -> Resource:
        assert uri.startswith("https://geojson.org/"), uri
        return Resource.from_contents({}, default_specification=DRAFT202012)

    return Registry(retrieve=retrieve)


def test_ninjs_schemas_are_valid_json_schemas():
    names = sorted(p.name for p in NINJS_SCHEMAS.glob("*.json"))
    assert names == [f"ninjs-schema_{v}.json" for v in ("2.0", "2.1", "2.2", "3.0", "3.1")]
    assert (NINJS_SCHEMAS / "LICENSE").read_text().startswith("MIT License")
    for name in names:
        schema = json.loads((NINJS_SCHEMAS / name).read_text(encoding="utf-8"))
        validators.validator_for(schema).check_schema(schema)


@pytest.mark.parametrize("sample", sorted(p.name for p in (DATA / "ninjs").glob("[23].*.json")))
def test_ninjs_samples_match_their_version_schema(sample):
    version = {"2": "2.1", "3": "3.0"}[sample[0]]
    schema = json.loads((NINJS_SCHEMAS / f"ninjs-schema_{version}.json").read_text(encoding="utf-8"))
    item = json.loads((DATA / "ninjs" / sample).read_text(encoding="utf-8"))
    validators.validator_for(schema)(schema, registry=offline_registry()).validate(item)
    if sample != "2.1_ntb_text.json":  # the one sample without a body
        assert parse_raw((DATA / "ninjs" / sample).read_bytes()).source_format == f"ninjs-{sample[0]}"
