"""Property-based tests (hypothesis) of what hostile input reaches: the feed splitter in front of the
validator, and the NLP stages plus record assembly on arbitrary text."""

import json

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline import enrich_articles
from agents.stages.nlp import load_nlp
from schemas.errors import REASONS, InvalidArticle
from schemas.formats import parse_many
from schemas.validate import validate_enriched

# Text that looks like news often enough to produce entities, quotes and several sentences.
WORDS = ["Angela", "Merkel", "said", "Paris", "the", "EU", "Macron", "met", "in", "Kyiv", "NATO", "on",
         "Monday", "he", "added", "“", "”", '"', "'", ".", ",", "!", "?", ":", "\n", "\n\n", "—", "(", ")",
         "Zelensky", "Reuters", "$5m", "3.5%", "é", "ß", "默克尔", "Москва", "🙂", "\t", "U.S.", "Dr."]
newsy = st.lists(st.sampled_from(WORDS), min_size=1, max_size=80).map(" ".join)
texts = st.one_of(newsy, st.text(min_size=1, max_size=400))


def check_record(record: dict, body: str) -> None:
    validate_enriched(record)  # the schema, and every span's text == body_text[start:end]
    assert record["body_text"] == body
    sentences = record["sentiment"]["sentences"]
    assert all(0 <= s["start"] < s["end"] <= len(body) for s in sentences)
    assert all(a["end"] <= b["start"] for a, b in zip(sentences, sentences[1:], strict=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=4))
def test_enrich_on_random_text_gives_valid_records_with_consistent_offsets(bodies):
    bodies = [b for b in bodies if b.strip()] or ["x"]
    articles = [{"id": f"p{i}", "headline": None, "body_text": b} for i, b in enumerate(bodies)]
    records = list(enrich_articles(articles, nlp=load_nlp(), batch_size=2))
    assert [r["id"] for r in records] == [a["id"] for a in articles]
    for record, body in zip(records, bodies, strict=True):
        check_record(record, body)


json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=30)
article_like = st.fixed_dictionaries({}, optional={"id": json_values, "body_text": json_values | newsy,
                                                   "headline": json_values})


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.lists(article_like | json_values, max_size=5).map(lambda items: json.dumps(items).encode()),
    st.lists(article_like, min_size=2, max_size=5).map(lambda xs: "\n".join(map(json.dumps, xs)).encode()),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
))
def test_parse_many_only_raises_or_returns_invalid_article(payload):
    try:
        items = parse_many(payload)
    except InvalidArticle as exc:
        assert exc.reason in REASONS
        return
    assert items
    for item in items:
        if isinstance(item, InvalidArticle):
            assert item.reason in REASONS and "\n" not in item.detail
        else:
            assert item.body_text.strip() and item.id
            orjson.dumps(item.to_dict())
