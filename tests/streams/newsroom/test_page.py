"""The article page's HTML (displaCy entity markup, quotes, escaping), static files, merging workers."""

import re

from streams.newsroom import page
from streams.newsroom.merge import merge_health, merge_latest, merge_trending

BODY = 'John Kirby said "<script>alert(1)</script> & more" in Kyiv.'
RECORD = {
    "id": "a/1?x", "headline": "<b>Talks</b>", "body_text": BODY, "language": "en",
    "received_at": "2026-01-01T00:00:00.000Z", "enriched_at": "2026-01-01T00:00:01.000Z",
    "duplicate_of": "orig<1>",
    "entities": [
        {"name": "John Kirby", "label": "PERSON", "mentions": [{"start": 0, "end": 10, "text": "John Kirby"}],
         "sentiment": {"label": "neutral", "score": 0.0}},
        {"name": "Kyiv", "label": "GPE", "mentions": [{"start": 54, "end": 58, "text": "Kyiv"}],
         "sentiment": {"label": "negative", "score": -0.4},
         "geo": {"country_code": "UA", "lat": 50.45, "lon": 30.52, "geonameid": 703448, "feature": "city"}},
    ],
    "quotes": [{"content": {"start": 16, "end": 50, "text": BODY[16:50]},
                "cue": {"start": 11, "end": 15, "text": "said"},
                "speaker": {"start": 0, "end": 10, "text": "John Kirby", "entity": "John Kirby"},
                "type": "direct", "confidence": 0.9}],
    "sentiment": {"label": "negative", "score": -0.2,
                  "sentences": [{"start": 0, "end": len(BODY), "label": "negative", "score": -0.2}]},
}


def test_article_page_marks_entities_with_displacy_and_lists_quotes_places_sentences():
    html = page.article_page(RECORD)
    kirby = re.search(r'<mark class="entity"[^>]*>\s*John Kirby\s*<span[^>]*>PERSON</span>\s*</mark>', html)
    assert kirby, html
    assert re.search(r'<mark class="entity"[^>]*>\s*Kyiv\s*<span[^>]*>GPE</span>', html)
    quote = re.search(r'<li class="quote direct" data-speaker="John Kirby">(.*?)</li>', html, re.S).group(1)
    assert '<span class="speaker">John Kirby</span>' in quote and '<span class="cue">said</span>' in quote
    assert '<span class="confidence">0.90</span>' in quote
    assert '<tr class="place"><td>Kyiv</td><td>GPE</td><td>UA</td><td class="num">50.45</td>' in html
    assert '<td class="num negative">-0.400</td>' in html  # Kyiv's sentiment
    assert '<li class="sentence negative"><span class="num">-0.200</span>' in html
    assert 'href="/api/articles/a%2F1%3Fx"' in html and 'href="/articles/orig%3C1%3E"' in html


def test_article_text_is_escaped_everywhere():
    html = page.article_page(RECORD)
    assert "<script>" not in html and "<b>Talks</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in the text, the quote and the JSON
    assert html.count("&lt;script&gt;") >= 3
    assert "<h1>&lt;b&gt;Talks&lt;/b&gt;</h1>" in html
    assert "<script" not in page.not_found_page("<script>x</script>")


def test_overlapping_mentions_are_dropped_for_displacy():
    record = {"body_text": "New York City", "entities": [
        {"name": "New York City", "label": "GPE", "mentions": [{"start": 0, "end": 13}]},
        {"name": "York", "label": "GPE", "mentions": [{"start": 4, "end": 8}, {"start": 20, "end": 30}]}]}
    assert page.entity_spans(record) == [{"start": 0, "end": 13, "label": "GPE"}]


def test_static_files_are_shipped_and_paths_cannot_escape():
    for name, kind in (("index.html", "text/html"), ("page.css", "text/css"), ("page.js", "text/javascript")):
        body, content_type = page.static_file(name)
        assert body and content_type.startswith(kind)
    assert b"http" not in page.static_file("page.css")[0]  # no fonts or anything else from elsewhere
    assert not re.search(rb'(src|href)="(https?:)?//', page.static_file("index.html")[0])
    for bad in ("../page.py", "page.py", ".hidden.js", "nope.js", "static/page.js"):
        assert page.static_file(bad) is None, bad


def test_read_token():
    assert page.read_allowed(None, "") and page.read_allowed("", "anything")
    assert not page.read_allowed("s3cret", "") and not page.read_allowed("s3cret", "wrong")
    assert page.token_given({"Authorization": "Bearer s3cret"}, {}, {}) == "s3cret"
    assert page.token_given({}, {"token": "q"}, {}) == "q"
    assert page.token_given({}, {}, {page.COOKIE: "c"}) == "c"


def test_merging_workers():
    a = {"entities": [{"name": "Kyiv", "label": "GPE", "mentions": 3, "articles": 1, "mean_sentiment": 0.5}]}
    b = {"entities": [{"name": "Kyiv", "label": "GPE", "mentions": 2, "articles": 3, "mean_sentiment": -0.5}]}
    assert merge_trending([a, b], 5) == [{"name": "Kyiv", "label": "GPE", "mentions": 5, "articles": 4,
                                           "mean_sentiment": -0.25}]
    x = {"id": "x", "enriched_at": "2026-01-01T00:00:02Z"}
    y = {"id": "y", "enriched_at": "2026-01-01T00:00:03Z"}
    latest = merge_latest([{"partitions": [0], "articles": [x]}, {"partitions": [1], "articles": [y]}],
                          limit=5)
    assert latest == {"partitions": [0, 1], "articles": [y, x]}
    health = merge_health([
        {"workers": [{"url": "u1"}], "rate": {"step": 10, "series": [[10, 1], [20, 2]]},
         "deadletters": {"invalid_json": 1}},
        {"workers": [{"url": "u2"}], "rate": {"step": 10, "series": [[20, 5], [30, 1]]},
         "deadletters": {"invalid_json": 2, "missing_body": 4}},
        {"workers": [{"url": "u3", "status": "unreachable"}]}])
    assert [w["url"] for w in health["workers"]] == ["u1", "u2", "u3"]
    assert health["rate"] == {"step": 10, "series": [[20, 7], [30, 1]]}
    assert health["deadletters"] == {"missing_body": 4, "invalid_json": 3}
