"""Input formats beyond plain JSON/text: NITF, RSS 2.0, Atom, JSON lines/arrays, schema-checked ninjs;
and language identification (schemas/formats/, schemas/ninjs_schema.py, agents/enrichment/language.py)."""

import json

import orjson
import pytest

from agents.enrichment.intake import articles_in, skip_parts
from agents.enrichment.language import detect, is_english, with_language
from agents.offline import enrich_offline
from schemas.article import Article
from schemas.errors import InvalidArticle
from schemas.formats import parse_many, parse_raw
from schemas.validate import validate_enriched
from tests.support import DATA

FORMATS = DATA / "formats"
NINJS = sorted(p for p in (DATA / "ninjs").glob("*.json"))


def test_rss_one_article_per_item():
    items = parse_many((FORMATS / "reuters-style.rss.xml").read_bytes())
    assert [a.source_format for a in items] == ["rss"] * 3
    eu, boj, de = items
    assert eu.id == "urn:example-wire:2024-01-16:eu-sanctions-8812"
    assert eu.uri == "https://wire.example.com/world/2024/01/16/eu-sanctions-package"
    assert eu.headline == "EU ministers agree new sanctions package against Russia"
    assert eu.body_text.startswith("European Union foreign ministers agreed on Tuesday")
    assert "\u201cWe are closing the loopholes,\u201d said Josep Borrell" in eu.body_text
    assert eu.body_text.count("\n\n") == 2  # content:encoded paragraphs, not the short description
    assert eu.ninjs["versioncreated"] == "2024-01-16T09:41:00.000Z" and eu.ninjs["by"] == "Anna Keller"
    assert boj.id == boj.uri == "https://wire.example.com/business/2024/01/16/boj-rates"
    assert boj.body_text.startswith("The Bank of Japan left interest rates unchanged")  # HTML description
    assert de.headline == "Bundesregierung beschließt Haushalt für 2024"


def test_rss_payload_is_several_articles_for_parse_raw():
    with pytest.raises(InvalidArticle) as info:
        parse_raw((FORMATS / "reuters-style.rss.xml").read_bytes())
    assert info.value.reason == "multiple_articles"


def test_atom_entries_html_and_xhtml_content():
    climate, copper = parse_many((FORMATS / "newsroom.atom.xml").read_bytes())
    assert climate.source_format == "atom"
    assert climate.id == "tag:newsroom.example.org,2024-02-01:climate-finance-summit"
    assert climate.body_text.split("\n\n")[1].startswith("Kenyan President William Ruto opened the summit")
    assert climate.ninjs["versioncreated"] == "2024-02-01T05:30:00.000Z"  # +03:00 normalised to UTC
    assert copper.body_text.startswith("Copper production in Chile rose")
    assert "<p>" not in copper.body_text and copper.language == "en"


def test_nitf_article():
    art = parse_raw((FORMATS / "ap-style.nitf.xml").read_bytes())
    assert art.source_format == "nitf"
    assert art.id == "EXP-20240123-quebec-storm-0042"
    assert art.headline == "Storm cuts power to thousands in Quebec"
    paragraphs = art.body_text.split("\n\n")
    assert len(paragraphs) == 3 and paragraphs[0].startswith("MONTREAL (EXP) \u2014 A winter storm")
    assert "Reporting by" not in art.body_text  # body.end is not the story
    assert art.language == "en"
    assert art.ninjs == {"uri": art.id, "versioncreated": "2024-01-23T07:15:00.000Z", "urgency": 3,
                         "by": "By Marie Tremblay, Example Press",
                         "subjects": [{"name": "weather warning", "uri": "subj:17004000"}]}


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<nitf><body><body.content><p>&b;</p></body.content></body></nitf>",
    b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item>'
    b"<description>&x;</description></item></channel></rss>",
])
def test_xml_entities_are_refused(payload):
    with pytest.raises(InvalidArticle) as info:
        parse_many(payload)
    assert info.value.reason == "invalid_xml" and "Forbidden" in info.value.detail


def test_unknown_xml_root_is_unsupported():
    with pytest.raises(InvalidArticle) as info:
        parse_raw(b"<html><body><p>hi</p></body></html>")
    assert info.value.reason == "unsupported_format"


def test_feed_item_without_content_is_an_invalid_item_not_a_failed_feed():
    feed = (b'<rss version="2.0"><channel><item><title>t</title></item>'
            b"<item><title>ok</title><description>Body text here.</description></item></channel></rss>")
    bad, good = parse_many(feed)
    assert isinstance(bad, InvalidArticle) and bad.reason == "missing_body"
    assert isinstance(good, Article) and good.body_text == "Body text here."


def test_json_lines_and_arrays():
    lines = b'{"id": "a", "body_text": "one"}\n\n{"id": "b", "body_text": "two"}\n{"id": 3}\n'
    a, b, bad = parse_many(lines)
    assert (a.id, b.id, a.body_text) == ("a", "b", "one") and bad.reason == "missing_body"
    arr = parse_many(b'[{"id": "x", "body_text": "y"}, 5]')
    assert arr[0].id == "x" and arr[1].reason == "wrong_type"
    # One pretty-printed JSON object is still one article.
    assert [x.id for x in parse_many(b'{\n  "id": "p",\n  "body_text": "q"\n}')] == ["p"]


@pytest.mark.parametrize("path", NINJS, ids=[p.name for p in NINJS])
def test_every_ninjs_sample_is_schema_valid_and_keeps_its_metadata(path):
    item = json.loads(path.read_text())
    try:
        art = parse_raw(path.read_bytes())
    except InvalidArticle as exc:  # the NTB sample is valid ninjs with no text body at all
        assert (path.name, exc.reason) == ("2.1_ntb_text.json", "missing_body")
        return
    assert art.source_format == f"ninjs-{path.name[0]}"
    assert art.ninjs["uri"] == item["uri"] and "bodies" not in art.ninjs
    assert {k for k in item if k not in ("bodies", "headlines", "body_html", "body_text", "body_xhtml",
                                         "headline", "associations")} == set(art.ninjs)


def test_invalid_ninjs_names_the_schema_and_path():
    item = json.loads((DATA / "ninjs" / "2.1_dpa_text.json").read_text())
    item["urgency"] = "very"
    with pytest.raises(InvalidArticle) as info:
        parse_raw(orjson.dumps(item))
    assert info.value.reason == "invalid_ninjs"
    assert info.value.detail.startswith("ninjs 2.2 schema: /urgency: 'very' is not of type 'number'")
    item3 = json.loads((DATA / "ninjs" / "3.0_dpa_text.json").read_text())
    item3["bodies"][0]["contentType"] = 7
    with pytest.raises(InvalidArticle) as info:
        parse_raw(orjson.dumps(item3))
    assert "ninjs 3.1 schema: /bodies/0/contentType" in info.value.detail


def test_declared_minor_version_is_used():
    item = json.loads((DATA / "ninjs" / "2.1_tt_text_image_2.json").read_text())
    item["pubstatus"] = "gone"
    with pytest.raises(InvalidArticle) as info:
        parse_raw(orjson.dumps(item))
    assert info.value.detail.startswith("ninjs 2.1 schema: /pubstatus")


def test_article_round_trip_keeps_ninjs():
    art = parse_raw((DATA / "ninjs" / "2.1_dpa_text.json").read_bytes())
    assert Article.from_dict(art.to_dict()) == art
    with pytest.raises(InvalidArticle):
        Article.from_dict({**art.to_dict(), "ninjs": "not an object"})


# --- language --------------------------------------------------------------------------------------


def test_language_detection_is_confident_or_silent():
    assert detect("Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz beschlossen.")[0] == "de"
    assert detect("Angela Merkel met Emmanuel Macron in Paris.")[0] is None  # names only: not sure
    assert detect("Defense Secretary Lloyd Austin said on Tuesday that the alliance would decide.")[0] == "en"


def test_declared_language_wins_and_feed_default_is_a_fallback():
    art = parse_raw(b'{"id": "x", "language": "fr", "body_text": "The minister said he would go."}')
    assert with_language(art).language == "fr"
    short = Article("y", None, "Angela Merkel met Emmanuel Macron.", None, None, "2024-01-01T00:00:00.000Z",
                    "rss", {"language": "en-gb"})
    assert with_language(short).language == "en-gb"
    assert is_english(None) and is_english("en-GB") and not is_english("de")


def test_non_english_article_skips_stages_and_is_not_mangled():
    de = articles_in((FORMATS / "reuters-style.rss.xml").read_bytes())[2]
    assert de.language == "de"
    parts = skip_parts(de, {"id": de.id, "instance": "0:0/2", "source": {}}, "article")
    assert parts[0]["skipped"] == {"stages": ["entities", "quotes", "sentiment"], "reason": "language=de"}
    assert parts[0]["result"]["body_text"] == de.body_text
    [record] = enrich_offline([de])
    validate_enriched(record)
    assert record["body_text"] == de.body_text and record["language"] == "de"
    assert record["entities"] == [] and record["quotes"] == []
    assert record["sentiment"] == {"label": "neutral", "score": 0.0, "sentences": []}
    assert record["skipped"]["reason"] == "language=de"
