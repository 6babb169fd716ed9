"""The ninjs 2.2 projection (agents/enrichment/ninjs.py) of enriched records from every input format."""

import json
from pathlib import Path

import pytest

from agents.enrichment.finish import finish
from agents.enrichment.intake import articles_in
from agents.offline import enrich_offline
from schemas.article import Article
from schemas.errors import InvalidArticle
from schemas.ninjs_schema import _validator, is_valid
from tests.support import DATA

INPUTS = sorted((DATA / "ninjs").glob("*.json")) + sorted((DATA / "formats").glob("*.xml"))


def projected(path: Path) -> list[tuple[Article, dict, dict]]:
    try:
        found = articles_in(path.read_bytes())
    except InvalidArticle:  # the NTB sample has no text body
        return []
    articles = [a for a in found if not isinstance(a, InvalidArticle)]
    out = []
    for article, record in zip(articles, enrich_offline(articles), strict=True):
        record, item = finish(record, {"result": article.to_dict(), "skipped": record.get("skipped")},
                              bands={}, signatures={})
        out.append((article, record, item))
    return out


@pytest.fixture(scope="module")
def projections():
    return {p.name: projected(p) for p in INPUTS}


@pytest.mark.parametrize("name", [p.name for p in INPUTS])
def test_projection_is_valid_ninjs_2_2(projections, name):
    for _, record, item in projections[name]:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator("2.2").iter_errors(item)]
        assert not errors, errors
        assert item["standard"]["version"] == "2.2"
        assert item["bodies"][0]["value"] == record["body_text"]


def test_original_fields_are_kept(projections):
    [(article, _, item)] = projections["2.1_dpa_text.json"]
    original = json.loads((DATA / "ninjs" / "2.1_dpa_text.json").read_text())
    for key in ("uri", "version", "versioncreated", "pubstatus", "urgency", "copyrightholder",
                "copyrightnotice"):
        assert item[key] == original[key], key
    [(_, _, item3)] = projections["3.0_dpa_text.json"]  # camelCase 3.x keys become their 2.x names
    assert item3["versioncreated"] == original["versioncreated"]
    assert item3["copyrightholder"] == original["copyrightholder"]


def test_nitf_projection_keeps_metadata_and_fills_from_entities(projections):
    [(_, record, item)] = projections["ap-style.nitf.xml"]
    assert {"name": "weather warning", "uri": "subj:17004000"} in item["subjects"]  # from the NITF
    assert item["by"] == "By Marie Tremblay, Example Press" and item["urgency"] == 3
    assert item["versioncreated"] == "2024-01-23T07:15:00.000Z"
    people = {e["name"] for e in record["entities"] if e["label"] == "PERSON"}
    assert people and people == {p["name"] for p in item["people"]}
    assert {p["name"] for p in item["places"]} == {e["name"] for e in record["entities"]
                                                   if e["label"] in ("GPE", "LOC", "FAC")}


def test_entity_mapping_with_geonames_places():
    def ent(name, label):
        return {"name": name, "label": label, "mentions": [{"start": 0, "end": 1, "text": "x"}],
                "sentiment": {"label": "neutral", "score": 0.0}}

    record = {"id": "urn:x:2", "headline": "H", "body_text": "x", "language": "en",
              "received_at": "2024-01-01T00:00:00.000Z",
              "entities": [ent("Julie Boucher", "PERSON"), ent("Hydro-Quebec", "ORG"), ent("Montreal", "GPE"),
                           ent("London", "GPE"), ent("Olympics", "EVENT"), ent("Tuesday", "DATE")]}
    original = {"uri": "urn:x:2", "people": [{"name": "Marie Tremblay", "rel": "author"}]}
    enriched, item = finish(record, {"result": {"ninjs": original}}, bands={}, signatures={})
    assert item["people"] == [{"name": "Marie Tremblay", "rel": "author"},
                              {"name": "Julie Boucher", "rel": "mentioned"}]
    assert item["organisations"] == [{"name": "Hydro-Quebec", "rel": "mentioned"}]
    montreal, london = item["places"]
    assert montreal["uri"] == "https://sws.geonames.org/6077243/"
    assert montreal["geojson"] == {"type": "Point", "coordinates": [pytest.approx(-73.59, abs=0.01),
                                                                    pytest.approx(45.51, abs=0.01)]}
    assert london == {"name": "London", "rel": "mentioned"}  # two Londons: no point, no id
    assert item["subjects"] == [{"name": "Olympics", "rel": "mentioned", "literal": "ontonotes:EVENT"}]
    assert enriched["entities"][2]["geo"]["country_code"] == "CA"
    assert is_valid(item, "2.2")


def test_invalid_original_members_are_dropped_not_fatal():
    record = {"id": "x1", "headline": None, "body_text": "Text.", "language": "en",
              "received_at": "2024-01-01T00:00:00.000Z", "entities": []}
    meta = {"uri": "urn:x:1", "urgency": "high", "foo": 1, "ednote": "keep me"}
    _, item = finish(record, {"result": {"ninjs": meta}}, bands={}, signatures={})
    assert item["ednote"] == "keep me" and "urgency" not in item and "foo" not in item
    assert is_valid(item, "2.2") and "headlines" not in item
    _, bare = finish({**record, "id": "plain id"}, {"result": {}}, bands={}, signatures={})
    assert bare["uri"] == "urn:wirestream:article:plain%20id" and is_valid(bare, "2.2")
