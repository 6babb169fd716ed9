"""schemas.article: raw payload parsing (seed text, JSON, ninjs 1/2/3), reason slugs, ids, inputs."""

import json
import time
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.article import (
    MAX_BODY_CHARS,
    MAX_HEADLINE_CHARS,
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    Article,
    stable_id,
)
from schemas.errors import REASONS, InputPathError, InvalidArticle
from schemas.formats import parse_raw
from schemas.formats.files import iter_payloads
from schemas.formats.xml import looks_like_xml
from tests.support import DATA, REPO

NINJS = DATA / "ninjs"
SEED = REPO / "seeds" / "000_fff007b84d78eb8b.txt"


def ninjs(name: str) -> dict:
    return json.loads((NINJS / name).read_text(encoding="utf-8"))


def reason_of(payload: bytes) -> str:
    with pytest.raises(InvalidArticle) as info:
        parse_raw(payload)
    assert info.value.detail and "\n" not in info.value.detail
    return info.value.reason


# --- plain-text seed format -------------------------------------------------------------------------


def test_seed_text():
    raw = SEED.read_bytes()
    art = parse_raw(raw)
    headline, blank, *_ = raw.decode().split("\n")
    assert blank == ""
    assert art.source_format == "text"
    assert art.headline == "Ukraine pleads for rapid NATO entry with Russia on its doorstep" == headline
    assert art.body_text == raw.decode().split("\n", 2)[2].strip()
    assert art.body_text.startswith("Defense Secretary Lloyd Austin may have more to discuss")
    assert art.body_text.endswith("Related Content")
    assert art.id == stable_id(art.headline, art.body_text) and len(art.id) == 16
    assert art.language is None and art.uri is None


def test_seed_text_crlf_and_lone_cr_become_lf():
    raw = SEED.read_bytes()
    crlf = parse_raw(raw.replace(b"\n", b"\r\n"))
    assert crlf.body_text == parse_raw(raw).body_text and "\r" not in crlf.body_text
    assert crlf.id == parse_raw(raw).id
    assert parse_raw(b"Head\r\rpara one\rpara two").body_text == "para one\npara two"


def test_text_outer_whitespace_and_bom():
    art = parse_raw(b"\xef\xbb\xbf\n\n  Headline here  \n\n\n  First para.\n\nSecond para.\n\n\n")
    assert art.headline == "Headline here"
    assert art.body_text == "First para.\n\nSecond para."


def test_control_characters_are_stripped_but_tab_and_newline_kept():
    art = parse_raw(b"Head\x00line\x07\n\nBody\x00 with\x1b NUL\tand tab\x7f\xc2\x85.\nNext line")
    assert art.headline == "Headline"
    assert art.body_text == "Body with NUL\tand tab.\nNext line"
    js = parse_raw(orjson.dumps({"headline": "A\u0000B\u0008", "body_text": "x\u0000y\u009fz\r\nw"}))
    assert (js.headline, js.body_text) == ("AB", "xyz\nw")


# --- plain JSON --------------------------------------------------------------------------------------


def test_plain_json_all_fields_and_extra_keys_ignored():
    art = parse_raw(
        orjson.dumps(
            {"id": "a-1", "uri": "urn:x:1", "headline": "  Big\n news ", "body_text": "\n Text.\r\n",
             "language": "en", "whatever": {"nested": [1, 2]}}
        ),
        received_at="2024-01-02T03:04:05+02:00",
    )
    assert art == Article("a-1", "Big news", "Text.", "en", "urn:x:1", "2024-01-02T01:04:05.000Z", "json")


def test_json_id_falls_back_to_uri_then_content_hash():
    assert parse_raw(b'{"uri": "urn:x:2", "body_text": "b"}').id == "urn:x:2"
    art = parse_raw(b'{"headline": "h", "body_text": "b"}')
    assert art.id == stable_id("h", "b") and art.headline == "h" and art.uri is None
    assert parse_raw(b'{"id": 42, "body_text": "b"}').id == "42"
    assert parse_raw(b'{"id": "  ", "body_text": "b"}').id == stable_id(None, "b")


def test_stable_ids():
    same = [parse_raw(b'{"headline": "H", "body_text": "Body."}'), parse_raw(b"H\n\nBody.\n")]
    assert same[0].id == same[1].id == stable_id("H", "Body.")
    assert stable_id("H", "Body.") == stable_id("H", "Body.")
    variants = [("H", "Body!"), ("H2", "Body."), (None, "Body."), ("H", "Body."), ("H", "Body. ")]
    assert len({stable_id(h, b) for h, b in variants}) == len(variants)
    assert stable_id(None, "x") == stable_id("", "x")  # no headline hashes like an empty one


def test_received_at_default_is_now_utc_with_z():
    art = parse_raw(b'{"body_text": "b"}')
    assert art.received_at.endswith("Z")
    stamp = datetime.fromisoformat(art.received_at)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert parse_raw(b"h\n\nb", received_at="2024-05-01T12:00:00Z").received_at == "2024-05-01T12:00:00.000Z"


def test_article_dict_round_trip():
    art = parse_raw(SEED.read_bytes())
    assert Article.from_dict(art.to_dict()) == art
    assert Article.from_dict(orjson.loads(orjson.dumps(art.to_dict()))) == art
    minimal = {"id": "x", "body_text": "b", "received_at": "2024-01-01T00:00:00.000Z",
               "source_format": "json"}
    assert Article.from_dict(minimal).headline is None
    with pytest.raises(InvalidArticle) as info:
        Article.from_dict({"id": "x"})
    assert info.value.reason == "missing_field"
    with pytest.raises(InvalidArticle) as info:
        Article.from_dict({**minimal, "body_text": 3})
    assert info.value.reason == "wrong_type"


# --- ninjs ---------------------------------------------------------------------------------------------

CAPTAIN = "Captain of wrecked cruise ship on trial in Italy"
DPA_HEAD = "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
TDU_HEAD = "Anti-doping measures at the 'Tour Down Under' will be the toughest ever"
TDU_START = "The initiatives are being implemented in close partnership"
TDU_END = "Email:   media@asada.gov.au"

SAMPLES = [
    # file, format, uri (== id), headline, language, body start, body end
    ("1.4_ninjsExComplex1.json", "ninjs-1", "http://ninjs.example.com/newsitems/20130709cplx123", CAPTAIN,
     "en", "GROSSETO, Italy (AP) -- The trial", "Schettino has denied wrongdoing."),
    ("2.1_businesswire-newsml-20130731006140.json", "ninjs-2",
     "http://www.businesswire.com/news/home/20130731006140/en",
     "Lunch Taking a Toll? Let Applebee’s® Industrial Strength Lunch Decoy Stand In", "en",
     "With more Applebee’s® Lunch Combos than ever – enough to try a new combination",
     "which sold out in weeks last summer."),
    ("2.1_dpa_text.json", "ninjs-2", "urn:newsml:dpa.com:20090101:190510-99-167362", DPA_HEAD, "de",
     "Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».",
     "um die richtige Auslegung der Bestimmungen kommen."),
    ("2.1_ninjsExSimpleText_2.json", "ninjs-2", "http://ninjs.example.com/newsitems/20130709simp123", CAPTAIN,
     None, "GROSSETO, Italy (AP) -- The trial", "Schettino has denied wrongdoing."),
    ("2.1_tt_text_image_2.json", "ninjs-2", "http://tt.se/media/text/210526-militarovning-a0f2d045",
     "Militärövning i jätteformat hålls 2023", "sv", "Militärövning i jätteformat hålls 2023\nFörsvar TT\n",
     "vilka internationella partners som deltar."),
    ("3.0_20231008-anti-doping-measures-at-the-tour-down-under-will-be-the-toughest-ever-addb-ninjs-nitf.json",
     "ninjs-3", "https://antidopingdatabase.com/news/anti-doping-measures-at-the-tour-down-under-will-be-the-toughest-ever",
     TDU_HEAD, "en", TDU_START, TDU_END),
    ("3.0_20231016-addb-example-press-conference.json", "ninjs-3", "http://addb.no/worldanti", None, None,
     TDU_START, TDU_END),
    ("3.0_dpa_text.json", "ninjs-3", "urn:newsml:dpa.com:20090101:190510-99-167362", DPA_HEAD, "de",
     "Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».",
     "um die richtige Auslegung der Bestimmungen kommen."),
]


@pytest.mark.parametrize(("name", "fmt", "uri", "headline", "language", "start", "end"), SAMPLES)
def test_ninjs_samples(name, fmt, uri, headline, language, start, end):
    art = parse_raw((NINJS / name).read_bytes())
    assert art.source_format == fmt
    assert art.uri == uri and art.id == uri
    assert art.headline == headline
    assert art.language == language
    assert art.body_text.startswith(start) and art.body_text.endswith(end)
    assert "\r" not in art.body_text and "<" not in art.body_text


def test_every_ninjs_sample_is_covered():
    covered = {s[0] for s in SAMPLES} | {"2.1_ntb_text.json"}
    assert covered == {p.name for p in NINJS.glob("*.json")}


def test_ninjs_ntb_has_only_a_description_so_no_body():
    # The NTB item carries its text in descriptions[] only; a description is not the article body.
    assert reason_of((NINJS / "2.1_ntb_text.json").read_bytes()) == "missing_body"


def test_ninjs_html_body_is_reduced_to_paragraphs():
    dpa = parse_raw((NINJS / "2.1_dpa_text.json").read_bytes())
    html = ninjs("2.1_dpa_text.json")["bodies"][0]["value"]
    assert dpa.body_text.count("\n\n") == html.count("<p>") - 1
    assert "\n\nAuf Hinweis seines Video-Assistenten" in dpa.body_text
    assert parse_raw((NINJS / "3.0_dpa_text.json").read_bytes()).body_text == dpa.body_text


def test_ninjs_html5_fallback_skips_head_and_figure():
    item = ninjs("2.1_tt_text_image_2.json")
    item["bodies"] = [b for b in item["bodies"] if b["contenttype"] == "text/html"]
    body = parse_raw(orjson.dumps(item)).body_text
    assert body.startswith("Militärövning i jätteformat hålls 2023\n\n")  # <title> skipped, <h1> kept
    assert "rapporterar Sydöstran.\n\nAurora 2023 kommer" in body  # <a> inline, <blockquote> a block
    assert "25\u00a0000 deltagare" in body or "25 000 deltagare" in body
    assert "Karl Melander" not in body and "Arkivbild" not in body  # photo credit/caption skipped


def test_ninjs_nitf_fallback_takes_body_content_only():
    name = SAMPLES[5][0]
    item = ninjs(name)
    item["bodies"] = [b for b in item["bodies"] if b["contentType"] != "text/plain"]
    body = parse_raw(orjson.dumps(item)).body_text
    assert body.startswith("The Australian Sports Anti-Doping Authority (ASADA) today announced")
    assert "\n\nThe initiatives are being implemented" in body
    assert "By DopingWatch" not in body and "toughest ever" not in body  # body.head skipped
    assert body.endswith("media@asada.gov.au")


def test_ninjs1_html_body_fallback():
    item = ninjs("1.4_ninjsExComplex1.json")
    del item["body_text"]
    art = parse_raw(orjson.dumps(item))
    assert art.source_format == "ninjs-1"
    assert art.body_text.startswith("GROSSETO, Italy (AP)") and "\n\nThe sole defendant" in art.body_text


def test_ninjs_version_detection():
    body = [{"value": "Text."}]
    assert parse_raw(orjson.dumps({"uri": "u", "bodies": body})).source_format == "ninjs-2"
    camel = [{"value": "Text.", "contentType": "text/plain"}]
    assert parse_raw(orjson.dumps({"uri": "u", "bodies": camel})).source_format == "ninjs-3"
    declared = {"uri": "u", "bodies": body, "standard": {"name": "ninjs", "version": "3.1"}}
    assert parse_raw(orjson.dumps(declared)).source_format == "ninjs-3"
    schema = {"$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json", "uri": "u", "bodies": body}
    assert parse_raw(orjson.dumps(schema)).source_format == "ninjs-2"
    v1 = {"uri": "u", "type": "text", "headline": "H", "body_text": "B"}
    assert parse_raw(orjson.dumps(v1)).source_format == "ninjs-1"
    assert parse_raw(orjson.dumps({"uri": "u", "headline": "H", "body_text": "B"})).source_format == "json"


def test_ninjs_headline_prefers_main_role():
    item = {"uri": "u", "bodies": [{"value": "B"}],
            "headlines": [{"role": "short", "value": "Short"}, {"role": "main", "value": "Main one"}]}
    assert parse_raw(orjson.dumps(item)).headline == "Main one"
    item["headlines"] = [{"value": "Only"}]
    assert parse_raw(orjson.dumps(item)).headline == "Only"


# --- reasons -------------------------------------------------------------------------------------------


def nest(depth: int) -> bytes:
    return b'{"body_text": "b", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


REASONS_CASES = [
    (b"\xff\xfe\x00Head", "not_utf8"),
    (b"Head\n\nbody \xc3\x28", "not_utf8"),
    (b'{"body_text": "x"', "invalid_json"),
    (b"  [1, 2,", "invalid_json"),
    (b'{"body_text": NaN}', "invalid_json"),
    (b'{"body_text": "lone \\ud800 surrogate"}', "invalid_json"),
    (b"[1, 2]", "wrong_type"),
    (b'{"body_text": 5}', "wrong_type"),
    (b'{"body_text": ["a"]}', "wrong_type"),
    (b'{"body_text": "x", "headline": 3}', "wrong_type"),
    (b'{"body_text": "x", "id": true}', "wrong_type"),
    (b'{"body_text": "x", "id": {"a": 1}}', "wrong_type"),
    (b'{"body_text": "x", "language": 7}', "wrong_type"),
    (b'{"body_text": "x", "uri": 7}', "wrong_type"),
    (b'{"uri": "u", "bodies": "text"}', "invalid_ninjs"),  # the official schema catches it
    (b'{"uri": "u", "bodies": [{"value": 1}]}', "invalid_ninjs"),  # the official schema catches it
    (b'{"uri": "u", "bodies": [{"value": "b"}], "headlines": [7]}', "invalid_ninjs"),
    (b'{"headline": "only a headline"}', "missing_body"),
    (b'{"body_text": null}', "missing_body"),
    (b'{"uri": "u", "bodies": []}', "missing_body"),
    (b"Just a headline line\n", "missing_body"),
    (b"Headline\n\n   \n\t\n", "missing_body"),
    (b'{"body_text": "  \\n\\t "}', "empty_body"),
    (b'{"body_text": "\\u0000\\u0001 "}', "empty_body"),
    (b'{"uri": "u", "bodies": [{"contenttype": "text/html", "value": "<p> </p><script>x</script>"}]}',
     "empty_body"),
    (b"", "empty_body"),
    (b" \n\r\n\t ", "empty_body"),
    (nest(MAX_JSON_DEPTH + 1), "too_deeply_nested"),
    (b"[" * 5000 + b"]" * 5000, "too_deeply_nested"),  # beyond orjson's own 1024 limit
    (b'{"uri": "u", "bodies": [{"contenttype": "application/xml", "value": "<x/>"}]}', "unsupported_format"),
    (b'{"uri": "u", "bodies": [{"contenttype": "image/jpeg", "value": "..."}]}', "unsupported_format"),
    (orjson.dumps({"body_text": "x" * (MAX_BODY_CHARS + 1)}), "body_too_large"),
    (orjson.dumps({"body_text": "x", "headline": "h" * (MAX_HEADLINE_CHARS + 1)}), "headline_too_large"),
    (b"h" * (MAX_HEADLINE_CHARS + 1) + b"\n\nbody", "headline_too_large"),
    (b" " * (MAX_PAYLOAD_BYTES + 1), "payload_too_large"),
    (orjson.dumps({"body_text": "x", "id": "i" * 513}), "id_too_large"),
    (b'<?xml version="1.0"?><nitf><body>', "invalid_xml"),
    (b'<nitf><body.content><p>text</p></body.content></nitf>', "missing_body"),  # no body.content in body
    (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><nitf>&a;</nitf>', "invalid_xml"),  # entities refused
    (b'<rss version="2.0"><channel><title>t</title></channel></rss>', "empty_feed"),
    (b'<?xml version="1.0" encoding="windows-1252"?><nitf><body><body.content><p>caf\x81</p>'
     b"</body.content></body></nitf>", "bad_encoding"),  # 0x81 is unassigned in Windows-1252
    (b'<?xml version="1.0" encoding="x-klingon"?><nitf/>', "bad_encoding"),
    (b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:1" version="1"><itemMeta>'
     b'<itemClass qcode="ninat:picture"/></itemMeta></newsItem>', "not_text"),
    (b'<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:p"/>', "package_item"),
    (b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header/><itemSet/></newsMessage>',
     "empty_message"),
    (b"\x01a0419 r i BC-Storm 01-23 0318\x02\n^Storm cuts power<\n\tMONTREAL (AP) _ A storm.",
     "invalid_wire_text"),  # no ETX: cut off
    (b'<rss version="2.0"><channel><item><description>a</description></item>'
     b'<item><description>b</description></item></channel></rss>', "multiple_articles"),
]


@pytest.mark.parametrize(
    ("payload", "reason"), REASONS_CASES, ids=[f"{r}-{i}" for i, (_, r) in enumerate(REASONS_CASES)]
)
def test_reasons(payload, reason):
    assert reason_of(payload) == reason


def test_every_parse_reason_is_exercised():
    assert {r for _, r in REASONS_CASES} == REASONS - {"missing_field"}  # missing_field: Article.from_dict


def test_limits_are_inclusive():
    assert parse_raw(nest(MAX_JSON_DEPTH)).body_text == "b"
    big = parse_raw(orjson.dumps({"body_text": "x" * MAX_BODY_CHARS, "headline": "h" * MAX_HEADLINE_CHARS}))
    assert len(big.body_text) == MAX_BODY_CHARS and len(big.headline) == MAX_HEADLINE_CHARS
    padded = b'{"body_text": "ok"}'.ljust(MAX_PAYLOAD_BYTES, b" ")
    assert parse_raw(padded).body_text == "ok"
    # Size limits apply after normalisation: stripped control characters do not count.
    padded_body = orjson.dumps({"body_text": "x" * MAX_BODY_CHARS + "\x00" * 10})
    assert len(parse_raw(padded_body).body_text) == MAX_BODY_CHARS


def test_escaped_surrogate_pair_is_fine():
    assert parse_raw(b'{"body_text": "smile \\ud83d\\ude00"}').body_text == "smile \U0001f600"


def test_non_bytes_payload_is_wrong_type():
    with pytest.raises(InvalidArticle) as info:
        parse_raw("a str")  # type: ignore[arg-type]
    assert info.value.reason == "wrong_type"


@pytest.mark.parametrize(
    "html",
    ["<a" * 500_000, "</" * 500_000, "<a " + 'b="c" ' * 170_000, "<!--" + "-" * 1_000_000, "<?" * 500_000,
     "<script>" + "</" * 500_000, "<p>x</p><a<a" * 80_000],
)
def test_pathological_html_is_handled_quickly(html):
    payload = orjson.dumps({"uri": "u", "bodies": [{"contenttype": "text/html", "value": html}]})
    started = time.monotonic()
    try:
        parse_raw(payload)
    except InvalidArticle:
        pass
    assert time.monotonic() - started < 10


# --- properties ----------------------------------------------------------------------------------------

any_text = st.text() | st.text(st.characters(exclude_categories=()), max_size=10)  # incl. surrogates
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | any_text,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)
field_values = st.none() | st.integers() | any_text | st.lists(st.text(), max_size=2)
markup = st.text(alphabet="<>/!?-&#;:xab p=\"'\n\r\t\x00é", max_size=200)
body_items = st.fixed_dictionaries(
    {"value": markup},
    optional={"contenttype": st.sampled_from(["text/plain", "text/html", "text/vnd.IPTC.NITF", "image/png"]),
              "role": st.sampled_from(["main", "text", "html"])},
)
ninjs_like = st.fixed_dictionaries(
    {"uri": st.text(max_size=10)},
    optional={"bodies": st.lists(body_items, max_size=3),
              "headlines": st.lists(st.fixed_dictionaries({"value": markup}), max_size=2),
              "standard": st.fixed_dictionaries({"name": st.just("ninjs"),
                                                 "version": st.sampled_from(["1.4", "2.1", "3.0", "9"])}),
              "language": field_values, "id": field_values},
)
plain_like = st.fixed_dictionaries(
    {},
    optional={"body_text": field_values, "headline": field_values, "id": field_values, "uri": field_values,
              "language": field_values},
)


def check_article(art: Article) -> None:
    assert art.body_text and art.body_text == art.body_text.strip()
    assert len(art.body_text) <= MAX_BODY_CHARS
    assert art.headline is None or 0 < len(art.headline) <= MAX_HEADLINE_CHARS
    assert not any(ord(c) < 32 and c not in "\n\t" for c in art.body_text)  # \r normalised away too
    assert art.id
    orjson.dumps(art.to_dict())  # always serialisable (no lone surrogates)


def parses_or_rejects(payload: bytes) -> None:
    try:
        art = parse_raw(payload)
    except InvalidArticle as e:
        assert e.reason in REASONS
    else:
        check_article(art)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_invalid_article(payload):
    parses_or_rejects(payload)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, plain_like, ninjs_like), st.booleans())
def test_random_json_only_raises_invalid_article(value, ascii_only):
    # stdlib json: big integers, and lone surrogates as \ud800 escapes or (raw) invalid UTF-8.
    payload = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    parses_or_rejects(payload)
    parses_or_rejects(payload[: len(payload) // 2])  # truncated JSON


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_text_format_properties(headline, body):
    payload = f"{headline}\n\n{body}".encode("utf-8", "surrogatepass")
    try:
        art = parse_raw(payload)
    except InvalidArticle as e:
        allowed = {"not_utf8", "invalid_json", "wrong_type", "missing_body", "empty_body",
                   "too_deeply_nested", "headline_too_large"}
        if looks_like_xml(payload.decode("utf-8", "replace")):  # e.g. a headline "<a": read as XML
            allowed |= {"invalid_xml", "unsupported_format"}
        assert e.reason in allowed
        return
    check_article(art)
    assert art.id == stable_id(art.headline, art.body_text)
    assert parse_raw(payload).id == art.id  # same content, same id


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300), st.none() | st.text(max_size=50))
def test_json_body_is_minimally_normalised(body, headline):
    try:
        art = parse_raw(orjson.dumps({"body_text": body, "headline": headline}))
    except InvalidArticle as e:
        assert e.reason in {"empty_body", "headline_too_large"}
        return
    check_article(art)
    kept = "".join(c for c in body if not (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) or c in "\n\t\r")
    assert art.body_text == kept.replace("\r\n", "\n").replace("\r", "\n").strip()
    again = parse_raw(orjson.dumps({"body_text": art.body_text, "headline": art.headline}))
    assert (again.body_text, again.headline, again.id) == (art.body_text, art.headline, art.id)


# --- iter_payloads -------------------------------------------------------------------------------------


def test_iter_payloads_walks_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"H\n\nB")
    (tmp_path / "a.json").write_bytes(b'{"body_text": "a"}')
    (tmp_path / ".hidden.txt").write_bytes(b"nope")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_bytes(b"nope")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.jsonl").write_bytes(b'{"body_text": "1"}\n\n   \n{"body_text": "2"}\r\n')
    got = list(iter_payloads([str(tmp_path)]))
    assert got == [
        (str(tmp_path / "a.json"), b'{"body_text": "a"}'),
        (str(tmp_path / "b.txt"), b"H\n\nB"),
        (f"{tmp_path / 'sub' / 'c.jsonl'}:1", b'{"body_text": "1"}'),
        (f"{tmp_path / 'sub' / 'c.jsonl'}:4", b'{"body_text": "2"}'),
    ]
    # An explicitly named file is read even if hidden; several paths keep their given order.
    explicit = list(iter_payloads([str(tmp_path / "b.txt"), str(tmp_path / ".hidden.txt")]))
    assert [p for _, p in explicit] == [b"H\n\nB", b"nope"]


def test_iter_payloads_on_repo_seeds():
    got = list(iter_payloads([str(REPO / "seeds")]))
    assert got and all(parse_raw(payload).source_format == "text" for _, payload in got)


def test_iter_payloads_missing_path_fails_before_yielding(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(InputPathError) as info:
        iter_payloads([str(SEED), str(missing)])
    assert isinstance(info.value, OSError)
    assert str(missing) in str(info.value) and "\n" not in str(info.value)


def test_iter_payloads_unreadable_file(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone")
    with pytest.raises(InputPathError) as info:
        list(iter_payloads([str(tmp_path)]))
    assert "dangling.txt" in str(info.value) and "\n" not in str(info.value)


def test_iter_payloads_permission_denied(tmp_path, monkeypatch):
    # CI runs as root, which reads mode-0 files, so the refusal is simulated where the read happens.
    secret = tmp_path / "locked.txt"
    secret.write_bytes(b"x")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(secret), "read_bytes", refuse)
    monkeypatch.setattr(type(secret), "open", refuse)
    with pytest.raises(InputPathError, match="locked.txt.*Permission denied"):
        list(iter_payloads([str(secret)]))
