"""Record assembly and the offline enrich path."""

import copy

import orjson
import pytest

from agents.enrichment.record import assemble
from agents.offline import enrich_articles
from agents.stages import STAGES
from agents.stages.nlp import load_nlp
from tests.support import seed_body

LABELS = {"negative", "neutral", "positive"}
RECORD_KEYS = {
    "id", "schema_version", "headline", "body_text", "language", "received_at", "enriched_at",
    "entities", "quotes", "sentiment",
}


@pytest.fixture(scope="session")
def articles():
    return [
        {
            "id": "fff007b84d78eb8b",
            "headline": "Ukraine pleads for rapid NATO entry with Russia on its doorstep",
            "body_text": seed_body(),
            "language": "en",
            "received_at": "2024-04-13T10:00:00.000Z",
            "uri": "ignored",
        },
        {"id": "tiny", "headline": None, "body_text": "Angela Merkel praised the excellent results."},
    ]


@pytest.fixture(scope="session")
def records(articles):
    # a generator on purpose: the offline path must stream
    return list(enrich_articles((a for a in articles), nlp=load_nlp(), batch_size=1))


def test_record_shape(articles, records):
    assert [r["id"] for r in records] == [a["id"] for a in articles]
    for art, rec in zip(articles, records, strict=True):
        assert set(rec) == RECORD_KEYS
        assert rec["schema_version"] == 1
        assert rec["body_text"] == art["body_text"] and rec["headline"] == art["headline"]
        assert rec["enriched_at"].endswith("Z")
        assert rec["sentiment"]["label"] in LABELS and "entities" not in rec["sentiment"]
        for e in rec["entities"]:
            assert {"name", "label", "mentions", "sentiment"} <= set(e)
            assert e["sentiment"]["label"] in LABELS
        for q in rec["quotes"]:
            assert set(q) == {"content", "cue", "speaker", "type", "kind", "confidence", "pieces"}
            assert q["kind"] in ("speech", "other") and 0.0 <= q["confidence"] <= 1.0
            c = q["content"]
            assert q["pieces"] and all(c["start"] <= p["start"] < p["end"] <= c["end"] for p in q["pieces"])
        orjson.dumps(rec)  # JSON-serialisable as is
    assert records[0]["received_at"] == "2024-04-13T10:00:00.000Z" and records[0]["language"] == "en"
    assert records[1]["received_at"]  # filled in for inputs without one


def test_offsets_point_into_body_text(records):
    for rec in records:
        body = rec["body_text"]
        spans = [m for e in rec["entities"] for m in e["mentions"]]
        spans += [q[k] for q in rec["quotes"] for k in ("content", "cue", "speaker") if q[k]]
        for s in spans:
            assert body[s["start"] : s["end"]] == s["text"]
        for s in rec["sentiment"]["sentences"]:
            assert 0 <= s["start"] < s["end"] <= len(body)


def test_entity_sentiment_is_merged(records):
    merkel = next(e for e in records[1]["entities"] if e["name"] == "Angela Merkel")
    assert merkel["sentiment"]["label"] == "positive" and merkel["sentiment"]["score"] > 0.05


def test_same_result_as_the_stream_stages(articles, records):
    doc = load_nlp()(articles[0]["body_text"])
    parts = {name: fn(doc) for name, fn in STAGES.items()}
    rec = assemble(articles[0], parts, enriched_at=records[0]["enriched_at"])
    assert rec == records[0]


def test_assemble_defaults_and_does_not_mutate():
    article = {"id": "a", "headline": "h", "body_text": "Ann met Bob.", "language": "en",
               "received_at": "2024-01-01T00:00:00Z"}
    parts = {
        "entities": [
            {"name": "Ann", "label": "PERSON", "mentions": [{"start": 0, "end": 3, "text": "Ann"}]},
            {"name": "Bob", "label": "PERSON", "mentions": [{"start": 8, "end": 11, "text": "Bob"}]},
        ],
        "quotes": [],
        "sentiment": {"label": "neutral", "score": 0.0, "sentences": [],
                      "entities": {"Ann": {"label": "positive", "score": 0.5}}},
    }
    before = copy.deepcopy(parts)
    rec = assemble(article, parts, enriched_at="2024-01-01T00:00:01Z")
    assert parts == before
    assert [e["sentiment"] for e in rec["entities"]] == [
        {"label": "positive", "score": 0.5},
        {"label": "neutral", "score": 0.0},
    ]
    assert rec["sentiment"] == {"label": "neutral", "score": 0.0, "sentences": []}
    assert rec["enriched_at"] == "2024-01-01T00:00:01Z" and rec["received_at"] == "2024-01-01T00:00:00Z"


def test_records_validate_against_schema(records):
    validate = pytest.importorskip("schemas.validate").validate_enriched
    for rec in records:
        validate(rec)
