"""The article page (server-rendered HTML), the static files and the read-only token check.

Every piece of article text goes through :func:`html.escape` here or through displaCy (which escapes
the text it marks up): a body holding ``<script>`` shows as text. The pages carry a Content-Security-Policy
that allows scripts from this server only, as a second line of defence.
"""

from __future__ import annotations

import hmac
import json
import urllib.parse
from html import escape
from importlib import resources

#: Scripts and styles from this server only (displaCy's markup carries inline styles).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".txt": "text/plain"}
COOKIE = "wirestream_web_token"
PLACES = frozenset({"GPE", "LOC", "FAC"})
#: displaCy's colours for the labels it knows; ours add the kinds it has none for.
COLORS = {"PERSON": "#aa9cfc", "ORG": "#7aecec", "GPE": "#feca74", "LOC": "#ff9561", "NORP": "#c887fb",
          "FAC": "#9cc9cc", "EVENT": "#ffeb80", "PRODUCT": "#bfeeb7", "WORK_OF_ART": "#f0d0ff",
          "LAW": "#ff8197"}


def static_file(name: str) -> tuple[bytes, str] | None:
    """(content, content type) of a file shipped in streams/newsroom/static, None if there is none."""
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        return None
    path = resources.files("streams.newsroom") / "static" / name
    if not path.is_file():
        return None
    return path.read_bytes(), STATIC_TYPES[suffix]


def token_given(headers, query, cookies) -> str:
    """The token a request carries: ``Authorization: Bearer``, ``?token=`` or the page's cookie."""
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip()
    return query.get("token") or cookies.get(COOKIE) or ""


def read_allowed(token: str | None, given: str) -> bool:
    """Read-only views are open unless WIRESTREAM_WEB_TOKEN is set; then they need it (constant time)."""
    return not token or hmac.compare_digest(given.encode(), token.encode())


def article_href(article_id: str) -> str:
    return "/articles/" + urllib.parse.quote(article_id, safe="")


def _score(value) -> str:
    return "" if value is None else f"{float(value):+.3f}"


def _tone(value) -> str:
    if value is None:
        return "neutral"
    return "positive" if value >= 0.05 else "negative" if value <= -0.05 else "neutral"


def entity_spans(record: dict) -> list[dict]:
    """displaCy's manual ``ents``: every mention of every entity, in order, overlaps dropped."""
    text = record.get("body_text") or ""
    spans = sorted((m["start"], m["end"], e["label"]) for e in record.get("entities") or ()
                   for m in e.get("mentions") or () if 0 <= m["start"] < m["end"] <= len(text))
    kept, end = [], -1
    for start, stop, label in spans:
        if start >= end:
            kept.append({"start": start, "end": stop, "label": label})
            end = stop
    return kept


def marked_text(record: dict) -> str:
    """The body with entity mentions marked by displaCy (it escapes the text)."""
    from spacy import displacy

    doc = {"text": record.get("body_text") or "", "ents": entity_spans(record), "title": None}
    return displacy.render(doc, style="ent", manual=True, page=False, minify=True,
                           options={"colors": COLORS})


def _quote(q: dict) -> str:
    speaker = q.get("speaker") or {}
    who = speaker.get("entity") or speaker.get("text")
    cue = (q.get("cue") or {}).get("text")
    confidence = q.get("confidence")
    named = (f'<span class="speaker">{escape(who)}</span>' if who
             else '<span class="speaker none">unknown</span>')
    facts = [named,
             f'<span class="kind">{escape(str(q.get("type") or ""))}</span>']
    if cue:
        facts.append(f'cue <span class="cue">{escape(cue)}</span>')
    if confidence is not None:
        facts.append(f'confidence <span class="confidence">{float(confidence):.2f}</span>')
    attrs = f' data-speaker="{escape(who, quote=True)}"' if who else ""
    content = escape((q.get("content") or {}).get("text") or "")
    return (f'<li class="quote {escape(str(q.get("type") or ""), quote=True)}"{attrs}>'
            f'<blockquote>{content}</blockquote><p class="facts">{" · ".join(facts)}</p></li>')


def _entity_row(e: dict) -> str:
    score, label = (e.get("sentiment") or {}).get("score"), e["label"]
    return (f'<tr class="entity-row" data-label="{escape(label, quote=True)}"><td>{escape(e["name"])}</td>'
            f'<td><span class="label" style="background: {COLORS.get(label, "#ddd")}">{escape(label)}'
            f'</span></td><td class="num">{len(e.get("mentions") or ())}</td>'
            f'<td class="num {_tone(score)}">{_score(score)}</td></tr>')


def _place_row(e: dict) -> str:
    geo = e.get("geo") or {}

    def cell(key):
        value = geo.get(key)
        return "—" if value is None else escape(str(value))

    return (f'<tr class="place"><td>{escape(e["name"])}</td><td>{escape(e["label"])}</td>'
            f'<td>{cell("country_code")}</td><td class="num">{cell("lat")}</td>'
            f'<td class="num">{cell("lon")}</td><td>{cell("feature")}</td>'
            f'<td class="num">{cell("geonameid")}</td></tr>')


def _sentence(text: str, s: dict) -> str:
    score = s.get("score")
    return (f'<li class="sentence {_tone(score)}"><span class="num">{_score(score)}</span> '
            f'{escape(text[s["start"]:s["end"]])}</li>')


def _table(head: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def layout(title: str, body: str) -> str:
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/page.css"></head>'
            f'<body><header class="top"><a href="/">wirestream newsroom</a></header><main>{body}</main>'
            '</body></html>')


def article_page(record: dict) -> str:
    """The HTML page of one enriched record."""
    rid = str(record.get("id") or "")
    text = record.get("body_text") or ""
    sentiment = record.get("sentiment") or {}
    entities = record.get("entities") or []
    quotes = record.get("quotes") or []
    places = [e for e in entities if e.get("label") in PLACES and e.get("geo")]
    overall = sentiment.get("score")
    meta = [f'<span class="id">{escape(rid)}</span>',
            f'language <span class="language">{escape(str(record.get("language") or "?"))}</span>',
            f'received {escape(str(record.get("received_at") or ""))}',
            f'enriched {escape(str(record.get("enriched_at") or ""))}',
            f'sentiment <span class="{_tone(overall)}">{_score(overall)}</span>',
            f'<a class="json" href="/api/articles/{urllib.parse.quote(rid, safe="")}">JSON</a>']
    if record.get("duplicate_of"):
        dup = str(record["duplicate_of"])
        meta.append(f'duplicate of <a class="duplicate" href="{escape(article_href(dup), quote=True)}">'
                    f'{escape(dup)}</a>')
    if record.get("skipped"):
        meta.append(f'skipped: {escape(str(record["skipped"].get("reason", "")))}')
    sentences = [_sentence(text, s) for s in sentiment.get("sentences") or ()]
    body = (f'<article id="article" data-id="{escape(rid, quote=True)}">'
            f'<h1>{escape(str(record.get("headline") or rid))}</h1>'
            f'<p class="meta">{" · ".join(meta)}</p>'
            f'<section><h2>Text</h2><div id="text">{marked_text(record)}</div></section>'
            f'<section><h2>Quotes <span class="count">{len(quotes)}</span></h2>'
            + (f'<ol id="quotes">{"".join(_quote(q) for q in quotes)}</ol>' if quotes
               else '<p class="empty">No quotes found.</p>') +
            '</section><section><h2>Entities</h2>'
            + _table(["entity", "kind", "mentions", "sentiment"], [_entity_row(e) for e in entities],
                     "No entities found.") +
            '</section><section><h2>Places</h2>'
            + _table(["place", "kind", "country", "lat", "lon", "feature", "geonames id"],
                     [_place_row(e) for e in places], "No places found.") +
            f'</section><section><h2>Sentences</h2><ol id="sentences">{"".join(sentences)}</ol></section>'
            '<section><details><summary>The record as JSON</summary><pre id="json">'
            f'{escape(json.dumps(record, indent=2, ensure_ascii=False))}</pre></details></section></article>')
    return layout(f"{record.get('headline') or rid} · wirestream", body)


def not_found_page(article_id: str) -> str:
    return layout("Not found · wirestream",
                  f'<h1>Not found</h1><p class="empty">No article <code>{escape(article_id)}</code> in the '
                  "recent window of the workers asked (they keep the latest records of each partition).</p>")


def forbidden_page() -> str:
    return layout("Token needed · wirestream",
                  "<h1>Token needed</h1><p>This page needs the web token: open it once as "
                  "<code>/?token=…</code> (it is then kept in a cookie for this site).</p>")
