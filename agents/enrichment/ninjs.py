"""The ninjs 2.2 projection of an enriched record, published on ``articles.ninjs``.

The original item's metadata (``Article.ninjs``: ninjs 1.x/2.x as received, 3.x with its camelCase keys
lowered to their 2.x names, or what NITF/RSS/Atom gave) is kept wherever it is valid ninjs 2.2; what
is not (a 3.x-only structure, an unknown member) is left out rather than invalidating the item. The
body and headline are the analysed text; ``people``, ``organisations``, ``places`` and ``subjects``
get the article's entities appended (rel ``mentioned``) after the original ones; places carry
GeoNames URIs and GeoJSON points where agents/enrichment/geo.py resolved them unambiguously.
The record's ``source_meta`` (NewsML-G2, NewsML 1.2, wire text, ...) fills what the original metadata
does not have: ``by``, ``located``, ``version``, ``slugline``, ``urgency``, ``copyrightnotice``,
``firstcreated``/``versioncreated``, a subheadline, and ``subjects`` (rel ``about``; IPTC ``medtop:`` and
``subj:`` qcodes as their cv.iptc.org URIs, other codes as ``literal``).
"""

from __future__ import annotations

from urllib.parse import quote

from schemas.ninjs_schema import is_valid

VERSION = "2.2"
STANDARD = {"name": "ninjs", "version": VERSION,
            "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{VERSION}.json"}
PEOPLE, ORGS, PLACES = ("PERSON",), ("ORG",), ("GPE", "LOC", "FAC")
SUBJECT_LABELS = ("NORP", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART")
_OWN = frozenset({"uri", "standard", "headlines", "bodies", "language", "type"})
# source_meta member -> ninjs 2.2 property
_FROM_SOURCE = {"byline": "by", "located": "located", "version": "version", "slugline": "slugline",
                "urgency": "urgency", "copyright": "copyrightnotice", "firstcreated": "firstcreated",
                "versioncreated": "versioncreated"}
_QCODE_URIS = {"medtop": "http://cv.iptc.org/newscodes/mediatopic/",
               "subj": "http://cv.iptc.org/newscodes/subjectcode/"}


def _lower_keys(value):
    # ninjs 3.0 camelCased the 2.x names (versionCreated, contentType, ...); lowering restores them.
    if isinstance(value, dict):
        return {k.lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def item_uri(record: dict, meta: dict) -> str:
    uri = meta.get("uri") or record.get("uri") or (record.get("source_meta") or {}).get("guid")
    if isinstance(uri, str) and ":" in uri:
        return uri
    return "urn:wirestream:article:" + quote(record["id"], safe="")


def _entity_items(record: dict, labels: tuple[str, ...]) -> list[dict]:
    items = []
    for e in record["entities"]:
        if e["label"] not in labels:
            continue
        item = {"name": e["name"], "rel": "mentioned"}
        geo = e.get("geo") or {}
        if geo.get("geonameid"):
            item["uri"] = f"https://sws.geonames.org/{geo['geonameid']}/"
        if geo.get("lat") is not None and geo.get("lon") is not None:
            item["geojson"] = {"type": "Point", "coordinates": [geo["lon"], geo["lat"]]}
        if e["label"] in SUBJECT_LABELS:
            item["literal"] = f"ontonotes:{e['label']}"
        items.append(item)
    return items


def _merge(original, added: list[dict]) -> list[dict]:
    kept = [o for o in original if isinstance(o, dict)] if isinstance(original, list) else []
    names = {o.get("name") for o in kept}
    return kept + [a for a in added if a["name"] not in names]


def _subject(subject: dict) -> dict:
    code = subject["code"]
    prefix, _, rest = code.partition(":")
    item = {"name": subject.get("name") or code, "rel": "about"}
    if prefix in _QCODE_URIS and rest:
        item["uri"] = _QCODE_URIS[prefix] + rest
    elif prefix in ("http", "https", "urn", "tag"):
        item["uri"] = code
    else:
        item["literal"] = code
    return item


def _from_source(item: dict, source: dict) -> None:
    """What ``source_meta`` adds to the item, where the original metadata has nothing (valid 2.2 only)."""
    added = {prop: source[key] for key, prop in _FROM_SOURCE.items() if key in source and prop not in item}
    if source.get("subjects") and not item.get("subjects"):
        added["subjects"] = [_subject(s) for s in source["subjects"]]
    for prop, value in added.items():
        if is_valid({"uri": item["uri"], prop: value}, VERSION):
            item[prop] = value
    main = {h["value"] for h in item.get("headlines", [])}
    subs = [h["value"] for h in source.get("headlines", [])
            if h.get("role") and not h["role"].endswith("main") and h["value"] not in main]
    if subs and item.get("headlines"):
        item["headlines"].append({"role": "sub", "contenttype": "text/plain", "value": subs[0]})


def project(record: dict, meta: dict | None) -> dict:
    """ninjs 2.2 for one enriched record; ``meta`` is the article's original ninjs metadata (or None)."""
    meta = _lower_keys(meta or {})
    uri = item_uri(record, meta)
    item = {
        "uri": uri,
        "standard": STANDARD,
        "type": "text",
        "headlines": [{"role": "main", "contenttype": "text/plain", "value": record["headline"]}]
        if record.get("headline") else [],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": record["body_text"],
                    "charcount": len(record["body_text"])}],
    }
    if record.get("language"):
        item["language"] = record["language"]
    for key, value in meta.items():
        if key not in _OWN and key not in item and is_valid({"uri": uri, key: value}, VERSION):
            item[key] = value
    _from_source(item, record.get("source_meta") or {})
    item.setdefault("versioncreated", record["received_at"])
    item["people"] = _merge(item.get("people"), _entity_items(record, PEOPLE))
    item["organisations"] = _merge(item.get("organisations"), _entity_items(record, ORGS))
    item["places"] = _merge(item.get("places"), _entity_items(record, PLACES))
    item["subjects"] = _merge(item.get("subjects"), _entity_items(record, SUBJECT_LABELS))
    if not item["headlines"]:
        del item["headlines"]
    return item
