"""Trending entity arithmetic (agents/trending.py) and the CLI's merge of several workers."""

from agents.trending import contributions, top
from streams.trending_cli import merge, render


def entity(name, label, mentions, score):
    return {"name": name, "label": label, "mentions": [{}] * mentions, "sentiment": {"score": score}}


def test_contributions_skip_duplicates_and_non_trend_labels():
    record = {"entities": [entity("Angela Merkel", "PERSON", 3, 0.5), entity("Monday", "DATE", 1, 0.0)]}
    assert contributions(record) == {("PERSON", "Angela Merkel"): [3, 1, 0.5]}
    assert contributions({**record, "duplicate_of": "x"}) == {}


def test_top_sums_partitions_and_ranks_by_mentions():
    rows = [(("PERSON", "A"), [2, 1, 0.5]), (("PERSON", "A"), [3, 2, -0.5]), (("ORG", "B"), [4, 4, 2.0])]
    assert top(rows, 10) == [
        {"name": "A", "label": "PERSON", "mentions": 5, "articles": 3, "mean_sentiment": 0.0},
        {"name": "B", "label": "ORG", "mentions": 4, "articles": 4, "mean_sentiment": 0.5},
    ]
    assert [e["name"] for e in top(rows, 1)] == ["A"]


def test_merge_weights_sentiment_by_articles():
    w1 = {"entities": [{"name": "A", "label": "ORG", "mentions": 2, "articles": 1, "mean_sentiment": 1.0}]}
    w2 = {"entities": [{"name": "A", "label": "ORG", "mentions": 6, "articles": 3, "mean_sentiment": -1.0}]}
    [a] = merge([w1, w2], 5)
    assert (a["mentions"], a["articles"], a["mean_sentiment"]) == (8, 4, -0.5)
    assert "-0.500" in render([a])
