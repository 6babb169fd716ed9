"""The agencies' formats (issue 13): NewsML-G2, NewsML 1.2, every ninjs shape, declared XML encodings,
ANPA-1312 and IPTC 7901 wire text; the format registry; source_meta in the record and in ninjs. The
samples in tests/data/formats/ were written for these tests from the public specifications."""

import json

import pytest

from agents.enrichment.ninjs import project
from agents.enrichment.record import assemble
from schemas.article import Article
from schemas.errors import REASONS, InvalidArticle
from schemas.formats import parse_many, parse_raw
from schemas.formats.registry import FORMATS
from schemas.ninjs_schema import is_valid
from schemas.validate import validate_enriched
from tests.support import DATA, REPO

FORMATS_DIR = DATA / "formats"
G2 = "urn:newsml:wire.example.com:20240305:"


def read(name: str) -> bytes:
    return (FORMATS_DIR / name).read_bytes()


def reason_of(payload: bytes) -> tuple[str, str]:
    with pytest.raises(InvalidArticle) as info:
        parse_raw(payload)
    return info.value.reason, info.value.detail


# --- NewsML-G2 ---------------------------------------------------------------------------------------


def test_newsml_g2_message_gives_one_article_per_text_item_and_refuses_the_picture():
    energy, picture, copper = parse_many(read("newsmlg2-message.xml"))
    assert isinstance(picture, InvalidArticle) and picture.reason == "not_text"
    assert (
        picture.detail
        == f"NewsML-G2 newsItem {G2}eu-energy-photo-0138 is a picture item (itemClass ninat:picture)"
    )
    assert (energy.id, energy.uri, energy.source_format) == (G2 + "eu-energy-0137",) * 2 + ("newsml-g2",)
    assert energy.headline == "EU energy ministers agree joint gas purchases"
    paragraphs = energy.body_text.split("\n\n")
    assert len(paragraphs) == 3 and paragraphs[0].startswith("BRUSSELS, March 5 (Example Wire) - European")
    assert paragraphs[1] == (
        '"This is a day of European solidarity," said Kadri Simson, the EU energy commissioner,'
        " after the meeting in Brussels."
    )
    assert energy.language == "en" and energy.ninjs is None
    assert energy.source_meta == {
        "format": "newsml-g2",
        "guid": G2 + "eu-energy-0137",
        "version": "3",
        "language": "en",
        "firstcreated": "2024-03-05T07:02:00.000Z",
        "versioncreated": "2024-03-05T10:14:00.000Z",
        "provider": "Example Wire",
        "headlines": [
            {"value": "EU energy ministers agree joint gas purchases"},
            {"role": "hdlrole:sub", "value": "Deal aims to cut prices before next winter"},
        ],
        "byline": "By Anna Keller",
        "dateline": "BRUSSELS, March 5 (Example Wire)",
        "slugline": "EU-ENERGY/GAS",
        "description": "Ministers agreed to buy gas together.",
        "located": "Brussels",
        "urgency": 3,
        "subjects": [
            {"code": "medtop:20000763", "name": "energy and resource"},
            {"code": "medtop:11000000", "name": "politics"},
            {"code": "iso3166-1a2:BE"},
        ],
        "copyright": "Copyright 2024 Example Wire. All rights reserved.",
    }
    # XHTML inlineXML: paragraphs, no figure caption, the <h1> that repeats the headline left out
    assert copper.headline == "Chile copper output rises as new mine opens"
    assert copper.body_text == (
        "SANTIAGO, March 5 (Example Wire) - Copper production in Chile rose 4 percent in January, the mining"
        " ministry said on Tuesday, as the Quebrada Blanca expansion came on line.\n\nCodelco, the state"
        " copper company, said it expected output to keep rising this year."
    )
    assert (
        copper.source_meta["provider"] == "nprov:EXW" and copper.source_meta["byline"] == "By Diego Fuentes"
    )
    with pytest.raises(InvalidArticle) as info:
        parse_raw(read("newsmlg2-message.xml"))
    assert info.value.reason == "multiple_articles"


def test_bare_newsml_g2_item_with_inline_data():
    art = parse_raw(read("newsmlg2-item.xml"))
    assert art.id == "tag:wire.example.com,2024:nb-ferry-strike" and art.language == "en-GB"
    assert art.body_text.split("\n\n") == [
        "Ferry crews on the busiest routes in western Norway walked out on Tuesday after wage talks broke"
        " down.",
        "The union said the strike would last until the operators improved their offer.",
    ]
    meta = art.source_meta
    assert (meta["version"], meta["located"], meta["dateline"], meta["urgency"]) == (
        "2",
        "Bergen",
        "BERGEN, April 2",
        4,
    )
    assert meta["subjects"] == [{"code": "subj:09000000", "name": "labour"}]


def test_newsml_g2_package_item_and_malformed_documents_are_refused_with_specific_reasons():
    reason, detail = reason_of(read("newsmlg2-package.xml"))
    assert reason == "package_item" and "carries no text of its own" in detail and "pkg-eu-energy" in detail
    assert reason_of(read("newsmlg2-truncated.xml"))[0] == "invalid_xml"
    ns = b'xmlns="http://iptc.org/std/nar/2006-10-01/"'
    no_text = (
        b"<newsItem "
        + ns
        + b' guid="urn:x:1"><itemMeta><itemClass qcode="ninat:text"/></itemMeta></newsItem>'
    )
    assert reason_of(no_text) == (
        "missing_body",
        "NewsML-G2 newsItem urn:x:1 has no inlineXML or inlineData in its contentSet",
    )
    remote = no_text.replace(
        b"</newsItem>",
        b'<contentSet><remoteContent contenttype="text/plain"'
        b' href="https://x.example/a.txt"/></contentSet></newsItem>',
    )
    reason, detail = reason_of(remote)
    assert reason == "unsupported_format" and "remote content is never fetched" in detail
    assert reason_of(b"<newsItem " + ns + b"><itemMeta/></newsItem>")[0] == "missing_field"  # no guid
    for nature in ("video", "audio", "graphic"):
        item = no_text.replace(b"ninat:text", f"ninat:{nature}".encode())
        assert reason_of(item)[0] == "not_text"
    uri_class = no_text.replace(b'qcode="ninat:text"', b'uri="http://cv.iptc.org/newscodes/ninature/picture"')
    assert reason_of(uri_class)[0] == "not_text"
    concept = b"<conceptItem " + ns + b' guid="urn:c:1"/>'
    assert reason_of(concept)[0] == "unsupported_format"


# --- NewsML 1.2 --------------------------------------------------------------------------------------


def test_newsml_1_2_items_text_photo_and_plain():
    farmers, photo, markets = parse_many(read("afp-style.newsml12.xml"))
    assert farmers.source_format == "newsml-1.2"
    assert farmers.id == farmers.uri == "urn:newsml:agence.example.fr:20240306:TX-PAR-QKB12:2"
    assert farmers.headline == "French farmers block roads around Paris"
    assert farmers.body_text.split("\n\n")[1] == (
        "Prime Minister Gabriel Attal said the government would meet farm unions on Thursday."
    )
    assert farmers.language == "en"
    meta = farmers.source_meta
    assert meta["headlines"][1] == {
        "role": "subheadline",
        "value": "Protest over fuel taxes enters third day",
    }
    assert (meta["version"], meta["urgency"], meta["located"], meta["provider"]) == (
        "2",
        3,
        "Paris, FRA",
        "Agence Example",
    )
    assert meta["subjects"] == [{"code": "subj:04000000"}, {"code": "subj:04001000"}]
    assert meta["versioncreated"] == "2024-03-06T09:12:00.000Z" and meta["byline"] == "By Claire Dubois"
    assert isinstance(photo, InvalidArticle) and photo.reason == "not_text" and "photo" in photo.detail
    assert markets.body_text.startswith("Shares in Paris were little changed")
    assert markets.source_meta["urgency"] == 4  # the envelope's Priority when the item has no Urgency
    [empty] = parse_many(read("newsml12-no-content.xml"))
    assert empty.reason == "missing_body" and "TX-PAR-EMPTY" in empty.detail
    assert reason_of(b'<NewsML Version="1.2"><NewsEnvelope/></NewsML>')[0] == "empty_message"


# --- encodings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pa-style.latin1.nitf.xml", "cp1252.nitf.xml", "utf16.nitf.xml"])
def test_nitf_in_its_declared_encoding_keeps_accented_names(name):
    art = parse_raw(read(name))
    assert art.headline == "Señora Núñez wins Zürich prize"
    assert (
        "María José Núñez" in art.body_text
        and "Málaga" in art.body_text
        and "Søren Kjærgaard" in art.body_text
    )
    assert art.source_meta["byline"] == "By François Lefèvre" and art.source_meta["dateline"] == "ZÜRICH"
    if name.startswith("cp1252"):
        assert "building\u2019s \u201cuse\u201d" in art.body_text  # Windows-1252 quotes, not C1 controls


def test_iso_8859_1_with_windows_1252_bytes_reads_them_as_browsers_do():
    latin1 = read("pa-style.latin1.nitf.xml").replace(b"building's", b"building\x92s")
    assert "building\u2019s" in parse_raw(latin1).body_text


def test_undecodable_declared_encoding_is_bad_encoding_with_the_offset():
    payload = read("bad-cp1252.nitf.xml")
    reason, detail = reason_of(payload)
    assert reason == "bad_encoding"
    offset = payload.index(b"\x81")
    assert detail == f"invalid windows-1252 at byte {offset}: character maps to <undefined>"
    odd = read("utf16.nitf.xml")[:-1]  # half a UTF-16 code unit at the end
    reason, detail = reason_of(odd)
    assert reason == "bad_encoding" and detail.startswith("invalid UTF-16 (byte order mark) at byte")
    assert reason_of(b"\xff\xfe not XML \x80")[0] == "not_utf8"  # a BOM alone does not make it UTF-16


# --- ninjs -------------------------------------------------------------------------------------------


def test_ninjs_1_item_with_guid_and_only_body_html():
    item = json.loads(read("ninjs1-html.json"))
    assert "uri" not in item and "body_text" not in item
    art = parse_raw(read("ninjs1-html.json"))
    assert art.source_format == "ninjs-1"
    assert art.id == art.uri == "tag:wire.example.com,2024:ninjs1-harbour-fire"
    assert art.body_text.split("\n\n") == [
        "ROTTERDAM (Example Wire) - A fire broke out in a warehouse at the port of Rotterdam early on Friday,"
        " sending thick smoke over the city.",
        "Mayor Ahmed Aboutaleb told residents to keep their windows closed.",
    ]
    assert "warehouse fire sent smoke" not in art.body_text  # description_text is not the body
    meta = art.source_meta
    assert meta["description"] == "A warehouse fire sent smoke over the port."
    assert (meta["byline"], meta["located"], meta["version"], meta["urgency"]) == (
        "Pieter de Vries",
        "Rotterdam",
        "2",
        2,
    )
    assert meta["subjects"] == [
        {"code": "medtop:03000000", "name": "disaster, accident and emergency incident"}
    ]


def test_ninjs_description_only_is_missing_body_not_the_description():
    reason, detail = reason_of(read("ninjs1-description-only.json"))
    assert (reason, detail) == (
        "missing_body",
        "ninjs item has no body_text, body_html or body_xhtml"
        " (description_text is a description, not the body)",
    )


def test_ninjs_api_response_is_unwrapped():
    housing, rail = parse_many(read("ninjs-response.json"))
    assert (housing.id, housing.source_format) == ("urn:example:api:1", "ninjs-2")
    assert housing.headline == "Dutch parliament passes housing bill"
    assert (rail.id, rail.source_format) == ("urn:example:api:2", "ninjs-1")
    assert (
        rail.body_text
        == "Unions called off a rail strike planned for Thursday after talks with the Belgian government."
    )
    for key in ("items", "data"):
        wrapped = json.dumps({key: [json.loads(read("ninjs1-html.json"))]}).encode()
        assert parse_raw(wrapped).id == "tag:wire.example.com,2024:ninjs1-harbour-fire"
    nested = json.dumps(
        {"data": {"items": [{"uri": "urn:n:1", "type": "text", "body_text": "Body."}]}}
    ).encode()
    assert parse_raw(nested).id == "urn:n:1"
    assert reason_of(b'{"total": 0, "item": []}')[0] == "empty_message"
    [bad] = parse_many(b'{"item": [{"uri": "urn:x", "type": "text"}]}')
    assert bad.reason == "missing_body"


# --- legacy wire text --------------------------------------------------------------------------------


def test_anpa_1312_transmission():
    art = parse_raw(read("ap-style.anpa1312.txt"))
    assert art.source_format == "anpa-1312"
    assert art.headline == "Winter storm cuts power to thousands in Quebec"
    assert art.body_text == (
        "MONTREAL (AP) \u2014 A winter storm knocked out power to more than 100,000 homes across Quebec on"
        " Tuesday, Hydro-Quebec said.\n\nPremier Francois Legault urged people to stay off the roads until"
        " crews had cleared them."
    )
    assert art.source_meta == {
        "format": "anpa-1312",
        "slugline": "BC-Storm-Power",
        "urgency": 5,
        "byline": "By MARIE TREMBLAY, Example Press Writer",
        "dateline": "MONTREAL (AP)",
        "headlines": [{"value": "Winter storm cuts power to thousands in Quebec"}],
    }
    reason, detail = reason_of(read("anpa1312-cut-off.txt"))
    assert reason == "invalid_wire_text" and "no ETX" in detail
    reason, detail = reason_of(b"\x01???\x02text\x03")
    assert reason == "invalid_wire_text" and detail.startswith("unreadable ANPA-1312 header")


def test_iptc_7901_transmission_in_iso_8859_1():
    art = parse_raw(read("dpa-style.iptc7901.txt"))
    assert art.source_format == "iptc-7901"
    assert art.headline == "EU-Energieminister einigen sich auf gemeinsamen Gaseinkauf"
    assert art.body_text.split("\n\n") == [
        "Brüssel (dpa) - Die Energieminister der Europäischen Union haben sich am Dienstag auf einen"
        " gemeinsamen Einkauf von Erdgas geeinigt.",
        "Bundeswirtschaftsminister Robert Habeck sprach von einem »wichtigen Schritt«.",
    ]
    assert "dpa ak" not in art.body_text and "Mär" not in art.body_text  # the trailer after ETX
    assert art.source_meta == {
        "format": "iptc-7901",
        "urgency": 4,
        "provider": "dpa",
        "slugline": "Energie/EU/Belgien/",
        "dateline": "Brüssel (dpa)",
        "headlines": [{"value": art.headline}],
    }
    assert reason_of(read("iptc7901-no-body.txt")) == (
        "missing_body",
        "IPTC 7901 text has a keyword line and headline only",
    )


# --- the registry, source_meta, ninjs ----------------------------------------------------------------


def test_registry_examples_are_detected_as_their_format():
    assert len({f.name for f in FORMATS}) == len(FORMATS)
    for fmt in FORMATS:
        if fmt.example == "-":
            continue
        path = REPO / fmt.example
        payload = (sorted(path.iterdir())[0] if path.is_dir() else path).read_bytes()
        first = next(a for a in parse_many(payload) if isinstance(a, Article))
        assert first.source_format.split("-")[0] in fmt.name, (fmt.name, first.source_format)


def test_new_reasons_are_registered():
    assert {"bad_encoding", "not_text", "package_item", "empty_message", "invalid_wire_text"} <= REASONS


def _record(article: Article) -> dict:
    parts = {"entities": [], "quotes": [], "sentiment": {"label": "neutral", "score": 0.0, "sentences": []}}
    return assemble(article.to_dict(), parts, enriched_at="2024-03-05T12:00:00.000Z")


def test_source_meta_is_in_the_enriched_record_and_the_ninjs_item():
    energy = parse_many(read("newsmlg2-message.xml"))[0]
    assert Article.from_dict(energy.to_dict()) == energy
    record = _record(energy)
    validate_enriched(record)
    assert record["source_meta"] == energy.source_meta
    item = project(record, energy.ninjs)
    assert is_valid(item, "2.2")
    assert item["uri"] == G2 + "eu-energy-0137"
    assert (item["by"], item["located"], item["version"], item["urgency"]) == (
        "By Anna Keller",
        "Brussels",
        "3",
        3,
    )
    assert item["copyrightnotice"] == "Copyright 2024 Example Wire. All rights reserved."
    assert item["versioncreated"] == "2024-03-05T10:14:00.000Z" and item["slugline"] == "EU-ENERGY/GAS"
    assert item["subjects"] == [
        {
            "name": "energy and resource",
            "rel": "about",
            "uri": "http://cv.iptc.org/newscodes/mediatopic/20000763",
        },
        {"name": "politics", "rel": "about", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"},
        {"name": "iso3166-1a2:BE", "rel": "about", "literal": "iso3166-1a2:BE"},
    ]
    assert item["headlines"][1] == {
        "role": "sub",
        "contenttype": "text/plain",
        "value": "Deal aims to cut prices before next winter",
    }


def test_plain_json_has_no_source_meta_and_bad_source_meta_fails_the_schema():
    record = _record(parse_raw(b'{"id": "p", "body_text": "Plain."}'))
    assert "source_meta" not in record
    validate_enriched(record)
    import jsonschema

    for bad in ({"format": "newsml-g2", "urgency": 12}, {"format": "nitf", "extra": 1}, {"guid": "x"}):
        with pytest.raises(jsonschema.ValidationError):
            validate_enriched({**record, "source_meta": bad})
