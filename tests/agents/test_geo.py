"""Offline geocoding of place entities (agents/enrichment/geo.py): resolved only when unambiguous."""

import pytest

from agents.enrichment.geo import geocode, geocode_entities


@pytest.mark.parametrize(("name", "code", "has_point"), [
    ("Berlin", "DE", True), ("Nairobi", "KE", True), ("Montreal", "CA", True),  # GeoNames: "Montréal"
    ("Sao Paulo", "BR", True),
    ("Chile", "CL", False), ("the United States", "US", False), ("U.S.", "US", False),
    ("Britain", "GB", False),  # countries: a code, no point
    ("Texas", "US", False),  # a US state
    ("Springfield", "US", False),  # eight US cities: the country is certain, the point is not
])
def test_resolved(name, code, has_point):
    geo = geocode(name)
    assert geo["country_code"] == code
    assert (geo["lat"] is not None and geo["lon"] is not None) == has_point


@pytest.mark.parametrize("name", ["London", "Paris", "Moscow", "Georgia", "Washington", "Europe", "Narnia"])
def test_ambiguous_or_unknown_is_null_never_guessed(name):
    geo = geocode(name)
    assert geo["country_code"] is None and geo["lat"] is None and geo["lon"] is None
    assert geo["candidates"] != 1


def test_only_place_entities_get_geo():
    entities = [{"name": "Berlin", "label": "GPE"}, {"name": "Berlin", "label": "PERSON"},
                {"name": "Europe", "label": "LOC"}]
    berlin, person, europe = geocode_entities(entities)
    assert berlin["geo"]["geonameid"] == 2950159 and berlin["geo"]["feature"] == "city"
    assert abs(berlin["geo"]["lat"] - 52.52) < 0.01 and abs(berlin["geo"]["lon"] - 13.41) < 0.01
    assert "geo" not in person
    assert europe["geo"]["country_code"] is None
