"""Quotations with their cue verb and speaker.

Direct quotes are found from the quote marks in the text (robust to parser errors), then attributed
through the dependency parse: the cue is the nearest speech verb outside the quote in the sentence(s)
holding it, the speaker is that verb's subject. A quote without a cue of its own borrows one from a
"Kirby put it this way:" sentence before it, from a bare "he added." sentence after it, from a dash
signature ('"..." ― Pamela Padilla'), or from the neighbouring quote in the same paragraph (the
'"A," Kirby said. "B."' pattern) — in that order. Such a split quotation becomes one record whose
content runs from "A" to "B" (see _join_split).

Indirect quotes are "according to X", asides ("A, X said, B") and any verb whose complement is an
attribution's content: "X said (that) ...", "X called for ...", "X wants to ...", "X described Y as
...". Which verb/frame pairs count is decided by a logistic regression trained on PolNeAR train
(scripts/train_cues.py -> agents/stages/models/attribution.json). An indirect content holding a direct
quote is one "mixed" record; a content that stops inside a quotation is extended to its end.

Direct contents include their quote marks (and a comma inside them), as PolNeAR annotates them.
A quote with no identifiable speaker is kept with speaker None: we never guess.
"""

from __future__ import annotations

import bisect

from spacy.tokens import Doc, Token

from agents.stages.nlp import doc_text, segments, span_dict
from agents.stages.quotes.confidence import kind, score, univocal
from agents.stages.quotes.frames import candidate_features, frames, indirect_quotes, trim  # noqa: F401
from agents.stages.quotes.marks import (
    DASH_SIG,
    borrow_attribution,
    colon_before,
    join_split,
    line_index,
    quoted_ranges,  # noqa: F401
    speech_quotes,
)
from agents.stages.quotes.speakers import Resolver, attribution, is_cue
from streams.settings import get_settings


def extract_quotes(doc: Doc, min_confidence: float | None = None) -> list[dict]:
    """[{content, cue, speaker, type, kind, confidence, pieces}] with char offsets into doc.text, ordered by
    content start; no two share a character of content; none under ``min_confidence`` (default
    $WIRESTREAM_QUOTE_MIN_CONFIDENCE)."""
    if min_confidence is None:
        min_confidence = get_settings().quote_min_confidence
    records = []
    for rec in candidates(doc):
        rec["kind"], rec["confidence"] = kind(doc, rec), round(score(doc, rec), 3)
        # the quoted parts without the cue: the marks' spans of a (split) direct quote, else the content
        pieces = rec.pop("_pieces", None) or ([rec["_q"]] if rec["_q"] else None)
        rec["pieces"] = ([span_dict(doc, q["open"], q["close"]) for q in pieces] if pieces
                         else [dict(rec["content"])])
        for key in [k for k in rec if k.startswith("_")]:
            del rec[key]
        if rec["confidence"] >= min_confidence:
            records.append(rec)
    return univocal(records)


def candidates(doc: Doc) -> list[dict]:
    """Every quote the rules find, with the evidence they found it by (``_how``, ``_cue_i``, ``_p``,
    ``_q``: what confidence.py and scripts/train_quote_confidence.py read), before any filtering."""
    text = doc_text(doc)
    raw = speech_quotes(doc)
    quoted = [(q["open"], q["close"]) for q in raw]

    tok_starts = [t.idx for t in doc]
    in_quote = bytearray(len(doc))
    for a, b in quoted:
        for i in range(bisect.bisect_left(tok_starts, a), bisect.bisect_left(tok_starts, b)):
            in_quote[i] = 1

    def inside_quote(tok: Token) -> bool:
        return bool(in_quote[tok.i])

    segs = segments(doc)
    seg_starts = [s.start_char for s in segs]
    para = line_index(text)
    resolver = Resolver(doc, quoted)

    def seg_index(char: int) -> int | None:
        i = bisect.bisect_right(seg_starts, char) - 1
        return i if i >= 0 and char < segs[i].end_char else None

    def tok_at(char: int) -> int:
        return bisect.bisect_right(tok_starts, char) - 1

    records = []
    for q in raw:
        # direct content includes its quote marks (and the comma inside them), as PolNeAR annotates it
        start, end = q["open"], q["close"]
        rec = {"content": span_dict(doc, start, end), "cue": None, "speaker": None, "type": "direct"}
        rec["_q"], rec["_cue_i"], rec["_how"] = q, None, "none"  # _how: the evidence (see confidence.py)
        i_open, i_close = seg_index(q["open"]), seg_index(q["close"] - 1)
        if i_open is None or i_close is None:
            records.append(rec)
            continue
        s_open, s_close = segs[i_open], segs[i_close]
        # 1. a cue in the same sentence(s), outside any quote; nearest to the quote wins
        before = [t for t in s_open if t.idx < q["open"] and is_cue(t) and not inside_quote(t)]
        after = [t for t in s_close if t.idx >= q["close"] and is_cue(t) and not inside_quote(t)]
        found = None
        if before or after:
            dist = {t.i: q["open"] - t.idx for t in before} | {t.i: t.idx - q["close"] for t in after}
            tok = doc[min(dist, key=dist.get)]
            if tok.idx < q["open"]:
                found = (tok, s_open.start, tok_at(q["open"]))
            else:
                found = (tok, tok_at(q["close"] - 1) + 1, s_close.end)
            rec["_how"] = "sentence"
        # 1b. introduced by a colon in the same sentence: 'The minister put it bluntly: "..."'
        elif (colon := colon_before(doc, s_open, tok_at(q["open"]))) is not None:
            found = (colon.head, s_open.start, colon.i)
            rec["_how"] = "colon"
        # 2. the previous sentence introduces it: 'Kirby put it this way:'
        elif (
            i_open > 0
            and (prev := segs[i_open - 1])[-1].text == ":"
            and para(prev.start_char) >= para(q["open"]) - 1
            and not any(inside_quote(t) for t in prev)
        ):
            head = prev[-1].head if prev.start <= prev[-1].head.i < prev.end else prev.root
            found = (next((t for t in prev if is_cue(t)), head), prev.start, prev.end)
            rec["_how"] = "previous"
        # 3. a bare attribution sentence right after it: '"..." He added.'
        elif i_close + 1 < len(segs):
            nxt = segs[i_close + 1]
            cue = next((t for t in nxt if is_cue(t)), None)
            if (
                cue is not None
                and len(nxt) <= 12
                and para(nxt.start_char) == para(q["close"] - 1)
                and not any(inside_quote(t) for t in nxt)
                and not any(c.dep_ in ("ccomp", "dobj") for c in cue.children)
            ):
                found = (cue, nxt.start, nxt.end)
                rec["_how"] = "next"
        if found is not None:
            tok, lo, hi = found
            rec["cue"], rec["speaker"] = attribution(tok, resolver, lo, hi)
            rec["_cue_i"] = tok.i
        # 4. a dash signature after it: '"..." ― Pamela Padilla'
        elif (m := DASH_SIG.match(text, q["close"])) is not None:
            sig = resolver.mention_at(m.end())
            if sig is not None:
                s, e, name = sig
                rec["cue"] = span_dict(doc, m.start(1), m.end(1))
                rec["speaker"] = {**span_dict(doc, s, e), "entity": name}
                rec["_how"] = "dash"
        records.append(rec)

    borrow_attribution(records, text, para)
    records = join_split(records, doc, para)
    indirect = indirect_quotes(doc, segs, records, resolver, inside_quote, quoted)
    return sorted(records + indirect, key=lambda r: r["content"]["start"])
