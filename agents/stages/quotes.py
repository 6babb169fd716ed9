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
import functools
import json
import math
import re
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from agents.stages.entities import extract_entities
from agents.stages.nlp import doc_text, segments, span_dict

INDIRECT_CUES = frozenset(
    "say tell add state claim argue explain note insist warn announce report confirm acknowledge admit "
    "suggest assert contend maintain reveal clarify testify write tweet predict promise vow allege".split()
)
CUES = INDIRECT_CUES | frozenset(
    "ask reply respond answer continue recall comment remark observe stress emphasize emphasise concede "
    "complain joke quip recount declare exclaim shout yell whisper muse caution lament boast urge "
    "agree describe deny point demand assure conclude estimate hint imply indicate inform mention post "
    "propose question reiterate remind signal speculate wonder scold plead counter retort concede".split()
)
CUES_PATH = Path(__file__).resolve().parent / "models" / "cues.json"
CUE_MIN_RATE = 0.5  # a (verb, frame) pair is a cue when at least this share of its PolNeAR uses was one
CUE_MIN_COUNT = 2
CLF_PATH = Path(__file__).resolve().parent / "models" / "attribution.json"
CLF_MIN_P = 0.5
MIN_CONTENT_WORDS = 2
_PAIRS = {"“": "”", '"': '"', "''": "''", "«": "»"}
_MARK = re.compile(r"''|[“”\"«»]")
_PERSON_PRONOUNS = frozenset({"he", "she"})
_DASH_SIG = re.compile(r"[ \t]*([―—–]|--?)[ \t]*")
_SUBJ = ("nsubj", "nsubjpass")
# a participle, coordinated or prepositional cue ("..., he said, adding ...", "before asking") takes its
# subject from its head
_INHERIT_SUBJ = ("conj", "advcl", "xcomp", "pcomp", "prep")
_INVERTED_SUBJ = ("dobj", "attr", "npadvmod")


def _raw_quotes(text: str) -> list[dict]:
    """Quote-mark pairs per line: "open"/"close" = char offsets of the marks (close exclusive),
    "inner"/"inner_end" = the text between them.

    Lines are scanned on their own so one stray mark cannot swallow the rest of the article. An
    unclosed quote at the end of a paragraph is kept only when the next paragraph opens with a quote
    mark (the wire convention for a quote running over several paragraphs). Straight marks, including
    the NYT's doubled apostrophes (''), open only before a non-space.
    """
    lines, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((pos, line))
        pos += len(line) + 1
    out = []
    for n, (base, line) in enumerate(lines):
        opened = None  # (mark match, expected closer)
        for m in _MARK.finditer(line):
            mark = m.group()
            if opened is None:
                if mark in _PAIRS and (mark in "“«" or line[m.end() : m.end() + 1].strip()):
                    opened = (m, _PAIRS[mark])
            elif mark == opened[1]:
                o = opened[0]
                out.append({"open": base + o.start(), "inner": base + o.end(), "inner_end": base + m.start(),
                            "close": base + m.end(), "runs_on": False})
                opened = None
        if opened is not None and n + 1 < len(lines) and _MARK.match(lines[n + 1][1].lstrip()):
            o, end = opened[0], base + len(line.rstrip())
            out.append({"open": base + o.start(), "inner": base + o.end(), "inner_end": end, "close": end,
                        "runs_on": True})
    return out


def _content_bounds(text: str, q: dict) -> tuple[int, int]:
    start, end = q["inner"], q["inner_end"]
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _looks_like_speech(doc: Doc, start: int, end: int, runs_on: bool) -> bool:
    """Tell a quotation from a scare-quoted word or a title ("cuties", "One Hundred Years of Solitude")."""
    text = doc_text(doc)[start:end]
    words = sum(any(c.isalpha() for c in w) for w in text.split())
    if not words:
        return False
    full = doc_text(doc)
    ends_clause = full[end - 1 : end] in ".?!…:;—-" or full[end : end + 1] == ","
    if runs_on or (ends_clause and words >= 3):
        return True
    span = doc.char_span(start, end, alignment_mode="expand")
    return words >= 5 and span is not None and any(t.pos_ in ("VERB", "AUX") for t in span)


def _subject(verb: Token) -> Token | None:
    for _ in range(4):  # bounded walk up through participles / conjuncts
        for child in verb.children:
            if child.dep_ in _SUBJ:
                return child
        if verb.dep_ not in _INHERIT_SUBJ or verb.head is verb:
            break
        verb = verb.head
    return None


def _cue_speaker(tok: Token) -> tuple[Span, Token | None]:
    """(cue span, speaker head token) for a cue token: a speech verb or the "according" of "according to"."""
    doc = tok.doc
    if tok.lower_ == "according":
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
        return doc[tok.i : tok.i + 2], pobj
    end = tok.i + 1
    if end < len(doc) and doc[end].dep_ == "prt" and doc[end].head is tok:  # "pointed out"
        end += 1
    subj = _subject(tok)
    if subj is None:  # inverted cue parsed without nsubj: '"...," said Kirby.'
        subj = next((c for c in tok.rights if c.pos_ == "PROPN" and c.dep_ in _INVERTED_SUBJ), None)
    return doc[tok.i : end], subj


def _is_cue(tok: Token) -> bool:
    if tok.lower_ == "according":
        return any(c.lower_ == "to" for c in tok.children)
    return tok.pos_ == "VERB" and tok.lemma_.lower() in CUES


def _speaker_span(subj: Token, lo: int, hi: int) -> Span:
    """The subject's noun phrase up to its head, without relative clauses or appositions, kept in [lo, hi)."""
    doc = subj.doc
    start = max(subj.left_edge.i, lo)
    end = subj.i + 1
    while end < hi and doc[end].head is subj and doc[end].dep_ in ("compound", "flat", "nummod"):
        end += 1
    while start < subj.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    return doc[start:end]


class _Resolver:
    """Maps speaker spans to canonical entity names."""

    def __init__(self, doc: Doc, quoted: list[tuple[int, int]]):
        self.mentions = []  # (start, end, name, label), document order
        for ent in extract_entities(doc):
            for m in ent["mentions"]:
                self.mentions.append((m["start"], m["end"], ent["name"], ent["label"]))
        self.mentions.sort()
        self.quoted = quoted

    def mention_at(self, char: int) -> tuple[int, int, str] | None:
        """(start, end, name) of a PERSON/ORG mention starting at char."""
        for s, e, name, label in self.mentions:
            if s == char and label in ("PERSON", "ORG"):
                return s, e, name
        return None

    def entity(self, span: Span, head: Token) -> str | None:
        if head.lower_ in _PERSON_PRONOUNS:
            # nearest preceding PERSON that is not itself inside quoted speech
            for s, e, name, label in reversed(self.mentions):
                if e <= head.idx and label == "PERSON" and not any(a <= s < b for a, b in self.quoted):
                    return name
            return None
        # the entity must hold the subject's head: in "Richmond police" the speaker is not Richmond
        hits = [m for m in self.mentions if m[0] <= head.idx < m[1]]
        return hits[0][2] if hits else None


def _attribution(tok: Token, resolver: _Resolver, lo: int, hi: int) -> tuple[dict, dict | None]:
    doc = tok.doc
    cue, subj = _cue_speaker(tok)
    speaker = None
    if subj is not None and lo <= subj.i < hi:  # never a word from inside the quote
        span = _speaker_span(subj, lo, hi)
        if len(span):
            speaker = span_dict(doc, span.start_char, span.end_char)
            speaker["entity"] = resolver.entity(span, subj)
    return span_dict(doc, cue.start_char, cue.end_char), speaker


def _colon_before(doc: Doc, seg: Span, i_open: int) -> Token | None:
    """The ':' right before a quote when it hangs off a verb before it."""
    i = i_open - 1
    while i >= seg.start and doc[i].is_space:
        i -= 1
    if i < seg.start:
        return None
    tok = doc[i]
    return tok if tok.text == ":" and tok.head.i < i and tok.head.pos_ in ("VERB", "AUX") else None


def _line_index(text: str):
    """char offset -> index of its non-empty line (a paragraph in wire copy, a sentence in CoNLL)."""
    starts, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            starts.append(pos)
        pos += len(line) + 1
    return lambda char: bisect.bisect_right(starts, char) - 1


def _speech_quotes(doc: Doc) -> list[dict]:
    text = doc_text(doc)
    return [q for q in _raw_quotes(text) if _looks_like_speech(doc, *_content_bounds(text, q), q["runs_on"])]


def quoted_ranges(doc: Doc) -> list[tuple[int, int]]:
    """(open, close) char offsets of the quotations in doc, quote marks included."""
    return [(q["open"], q["close"]) for q in _speech_quotes(doc)]


def extract_quotes(doc: Doc) -> list[dict]:
    """[{content, cue, speaker, type}] with char offsets into doc.text, ordered by content start."""
    text = doc_text(doc)
    raw = _speech_quotes(doc)
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
    para = _line_index(text)
    resolver = _Resolver(doc, quoted)

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
        rec["_q"], rec["_cue_i"] = q, None
        i_open, i_close = seg_index(q["open"]), seg_index(q["close"] - 1)
        if i_open is None or i_close is None:
            records.append(rec)
            continue
        s_open, s_close = segs[i_open], segs[i_close]
        # 1. a cue in the same sentence(s), outside any quote; nearest to the quote wins
        before = [t for t in s_open if t.idx < q["open"] and _is_cue(t) and not inside_quote(t)]
        after = [t for t in s_close if t.idx >= q["close"] and _is_cue(t) and not inside_quote(t)]
        found = None
        if before or after:
            dist = {t.i: q["open"] - t.idx for t in before} | {t.i: t.idx - q["close"] for t in after}
            tok = doc[min(dist, key=dist.get)]
            if tok.idx < q["open"]:
                found = (tok, s_open.start, tok_at(q["open"]))
            else:
                found = (tok, tok_at(q["close"] - 1) + 1, s_close.end)
        # 1b. introduced by a colon in the same sentence: 'The minister put it bluntly: "..."'
        elif (colon := _colon_before(doc, s_open, tok_at(q["open"]))) is not None:
            found = (colon.head, s_open.start, colon.i)
        # 2. the previous sentence introduces it: 'Kirby put it this way:'
        elif (
            i_open > 0
            and (prev := segs[i_open - 1])[-1].text == ":"
            and para(prev.start_char) >= para(q["open"]) - 1
            and not any(inside_quote(t) for t in prev)
        ):
            head = prev[-1].head if prev.start <= prev[-1].head.i < prev.end else prev.root
            found = (next((t for t in prev if _is_cue(t)), head), prev.start, prev.end)
        # 3. a bare attribution sentence right after it: '"..." He added.'
        elif i_close + 1 < len(segs):
            nxt = segs[i_close + 1]
            cue = next((t for t in nxt if _is_cue(t)), None)
            if (
                cue is not None
                and len(nxt) <= 12
                and para(nxt.start_char) == para(q["close"] - 1)
                and not any(inside_quote(t) for t in nxt)
                and not any(c.dep_ in ("ccomp", "dobj") for c in cue.children)
            ):
                found = (cue, nxt.start, nxt.end)
        if found is not None:
            tok, lo, hi = found
            rec["cue"], rec["speaker"] = _attribution(tok, resolver, lo, hi)
            rec["_cue_i"] = tok.i
        # 4. a dash signature after it: '"..." ― Pamela Padilla'
        elif (m := _DASH_SIG.match(text, q["close"])) is not None:
            sig = resolver.mention_at(m.end())
            if sig is not None:
                s, e, name = sig
                rec["cue"] = span_dict(doc, m.start(1), m.end(1))
                rec["speaker"] = {**span_dict(doc, s, e), "entity": name}
        records.append(rec)

    _borrow_attribution(records, text, para)
    records = _join_split(records, doc, para)
    indirect = _indirect(doc, segs, records, resolver, inside_quote, quoted)
    records = sorted(records + indirect, key=lambda r: r["content"]["start"])
    for r in records:
        del r["_q"], r["_cue_i"]
    return records


def _borrow_attribution(records: list[dict], text: str, para) -> None:
    """An unattributed quote continues its neighbour's.

    Borrow from the previous attributed quote in the same paragraph, or in the paragraph before when
    this paragraph is nothing but the quote (or the previous quote runs on into it); else from the
    next quote when only whitespace separates the two (or this one runs on into it).
    """
    for n, rec in enumerate(records):
        if rec["cue"] is not None:
            continue
        q = rec["_q"]
        line_start = text.rfind("\n", 0, q["open"]) + 1
        line_end = text.find("\n", q["close"])
        line_end = len(text) if line_end < 0 else line_end
        only_quote = not text[line_start : q["open"]].strip() and not text[q["close"] : line_end].strip()
        donor = None
        if n > 0 and records[n - 1]["cue"] is not None:
            pq = records[n - 1]["_q"]
            gap = para(q["open"]) - para(pq["open"])
            if gap == 0 or (gap == 1 and (pq["runs_on"] or only_quote)):
                donor = records[n - 1]
        if donor is None and n + 1 < len(records) and records[n + 1]["cue"] is not None:
            if q["runs_on"] or not text[q["close"] : records[n + 1]["_q"]["open"]].strip():
                donor = records[n + 1]
        if donor is not None:
            speaker = donor["speaker"] and dict(donor["speaker"])
            rec["cue"], rec["speaker"], rec["_cue_i"] = dict(donor["cue"]), speaker, donor["_cue_i"]


def frames(tok: Token) -> list[tuple[str, Span]]:
    """(frame, content span) pairs a verb offers as an attribution's content.

    "ccomp" ("X said (that) ..."), "xcomp" ("X wants to ..."), "dobj" ("X called the plan a disaster",
    with its object predicate), and "prep:<p>" ("X called for ...", "X talked about ..."). Which
    (lemma, frame) pairs really are attributions, and how often, is learned from PolNeAR train
    (scripts/train_cues.py -> agents/stages/models/cues.json).
    """
    doc = tok.doc
    out = []
    kids = list(tok.children)
    for n, c in enumerate(kids):
        if c.dep_ in ("ccomp", "xcomp"):
            out.append((c.dep_, doc[c.left_edge.i : c.right_edge.i + 1]))
        elif c.dep_ == "dobj":
            end = c.right_edge.i + 1
            for d in kids[n + 1 :]:
                if d.dep_ in ("oprd", "xcomp", "ccomp", "advcl") or (d.dep_ == "prep" and d.lower_ == "as"):
                    end = d.right_edge.i + 1
            out.append(("dobj", doc[c.left_edge.i : end]))
        elif c.dep_ == "prep" and c.i > tok.i:
            pobj = next((g for g in c.children if g.dep_ in ("pobj", "pcomp")), None)
            if pobj is not None:
                out.append((f"prep:{c.lower_}", doc[pobj.left_edge.i : pobj.right_edge.i + 1]))
    return out


def _trim(span: Span) -> Span:
    """Strip edge punctuation and whitespace, but keep quote marks (they belong to a quoted part)."""
    doc, start, end = span.doc, span.start, span.end
    while end > start and ((doc[end - 1].is_punct and not doc[end - 1].is_quote) or doc[end - 1].is_space):
        end -= 1
    while start < end and ((doc[start].is_punct and not doc[start].is_quote) or doc[start].is_space):
        start += 1
    return doc[start:end]


def _join_split(records: list[dict], doc: Doc, para) -> list[dict]:
    """One record for a quotation split around its attribution: '"A," Kirby said. "B."'.

    Consecutive pieces sharing one cue (the later ones borrowed it) join when they are in the same
    paragraph or the earlier one runs on into the next paragraph. The content then spans from the first
    piece to the last, attribution included: that is how PolNeAR annotates it (one discontinuous
    content), and it doubled direct-quote F1 at 0.8 overlap on PolNeAR dev (0.50 -> 0.71).
    """
    out: list[dict] = []
    for rec in records:
        prev = out[-1] if out else None
        if (
            prev is not None
            and rec["_cue_i"] is not None
            and rec["_cue_i"] == prev["_cue_i"]
            and (para(rec["_q"]["open"]) == para(prev["_q"]["open"]) or prev["_q"]["runs_on"])
        ):
            prev["content"] = span_dict(doc, prev["content"]["start"], rec["content"]["end"])
            prev["_q"] = {**prev["_q"], "close": rec["_q"]["close"], "runs_on": rec["_q"]["runs_on"]}
            continue
        out.append(rec)
    return out


@functools.cache
def cue_table() -> dict[str, float]:
    """{"lemma frame": hit rate} learned from PolNeAR train (agents/stages/models/cues.json), pairs seen in
    enough examples; without the file, the hand list: INDIRECT_CUES with a clausal complement."""
    if not CUES_PATH.exists():
        return {f"{lemma} ccomp": 1.0 for lemma in INDIRECT_CUES}
    raw = json.loads(CUES_PATH.read_text(encoding="utf-8"))
    return {k: (h + 0.5) / (n + 1) for k, (h, n) in raw.items() if n >= CUE_MIN_COUNT}


@functools.cache
def _classifier() -> dict | None:
    """Binary logistic regression over candidate_features (agents/stages/models/attribution.json), or None."""
    if not CLF_PATH.exists():
        return None
    return json.loads(CLF_PATH.read_text(encoding="utf-8"))


def candidate_features(tok: Token, frame: str, content: Span) -> list[str]:
    """Features of 'verb tok introduces content through frame' for the attribution classifier."""
    lemma = tok.lemma_.lower()
    subj = _subject(tok)
    if subj is None:
        kind = "none"
    elif subj.lower_ in ("he", "she", "they", "i", "we", "you", "it", "who", "that", "which"):
        kind = subj.lower_
    else:
        kind = subj.ent_type_ or subj.pos_
    n = sum(t.is_alpha for t in content)
    size = "1" if n <= 2 else "2" if n <= 5 else "3" if n <= 12 else "4" if n <= 25 else "5"
    fam = frame.split(":")[0]
    feats = [
        "bias", f"lf:{lemma} {frame}", f"l:{lemma}", f"f:{frame}", f"subj:{kind}", f"fs:{fam}:{kind}",
        f"tag:{tok.tag_}", f"dep:{tok.dep_}", f"fd:{fam}:{tok.dep_}", f"len:{size}", f"fl:{fam}:{size}",
        f"ls:{lemma}:{'none' if subj is None else 'subj'}",
    ]
    for c in tok.children:
        if c.dep_ == "neg":
            feats.append("neg")
        elif c.dep_ in ("aux", "auxpass"):
            feats.append(f"aux:{c.lemma_.lower()}")
    if any(t.is_quote for t in content):
        feats.append("quoted")
    if tok.sent.start == 0 or "\n" not in doc_text(tok.doc)[: tok.idx]:
        feats.append("headline")
    return feats


def _frame_choice(tok: Token) -> tuple[float, str, Span] | None:
    """The verb's most likely content frame, if it is likely enough to be an attribution: the
    classifier's probability (>= CLF_MIN_P) or, without it, the (lemma, frame) hit rate
    (>= CUE_MIN_RATE)."""
    clf = _classifier()
    table = cue_table()
    lemma = tok.lemma_.lower()
    best = None
    for frame, span in frames(tok):
        if clf is not None:
            w = clf["weights"]
            z = sum(w.get(f, 0.0) for f in candidate_features(tok, frame, _trim(span)))
            score, floor = 1 / (1 + math.exp(-z)), CLF_MIN_P
        else:
            score, floor = table.get(f"{lemma} {frame}", 0.0), CUE_MIN_RATE
        if score >= floor and (best is None or score > best[0]):
            best = (score, frame, span)
    return best


def _indirect(
    doc: Doc, segs: list[Span], direct: list[dict], resolver: _Resolver, inside_quote, quoted: list
) -> list:
    """'X said (that) ...', 'X called for ...', 'X wants to ...' and '... according to X' whose content
    is not just a direct quote.

    Asides ("..., according to X", "A, X said, B") take the rest of the sentence as content; any other
    verb takes the content frame learned for it (see frames() and cue_table()). Direct quotes that turn
    out to be part of such a content are removed from `direct` (one "mixed" record instead of two).
    """
    out = []
    for seg in segs:
        for tok in seg:
            if inside_quote(tok):
                continue
            if (tok.lower_ == "according" and _is_cue(tok)) or (
                tok.dep_ == "parataxis" and tok.pos_ == "VERB" and tok.lemma_.lower() in INDIRECT_CUES
            ):
                # the attribution is an aside ("..., according to X", "A, X said, B"): content is the rest
                a, b = tok.left_edge.i, tok.right_edge.i + 1
                left, right = doc[seg.start : a], doc[b : seg.end]
                n_left, n_right = sum(t.is_alpha for t in left), sum(t.is_alpha for t in right)
                content = seg if n_left >= 2 and n_right >= 2 and tok.dep_ == "parataxis" else (
                    left if n_left >= 4 else right
                )
                bounds = (a, b)
            elif tok.pos_ in ("VERB", "AUX") and (choice := _frame_choice(tok)) is not None:
                content = choice[2]
                bounds = (seg.start, content.start) if tok.i < content.start else (content.end, seg.end)
            else:
                continue
            content = _trim(content)
            if not len(content) or "\n" in content.text:
                content = _clip_line(content, tok)
            # words outside every direct quote tell indirect/mixed from a direct quote's own clause
            outside = sum(t.is_alpha and not inside_quote(t) for t in content)
            if sum(t.is_alpha for t in content) < MIN_CONTENT_WORDS or outside <= 1:
                continue
            cue, speaker = _attribution(tok, resolver, *bounds)
            if speaker is None:  # an indirect quote needs a speaker
                continue
            s, e = content.start_char, content.end_char
            # a content that ends or starts inside a quotation takes all of it ('... to “keep it quiet.”')
            for a, b in quoted:
                if a < e < b:
                    e = b
                if a < s < b:
                    s = a
            held = [r for r in direct if s <= r["_q"]["open"] and r["_q"]["close"] <= e + 1]
            for r in held:
                direct.remove(r)
            out.append(
                {
                    "content": span_dict(doc, s, e),
                    "cue": cue,
                    "speaker": speaker,
                    "type": "mixed" if held else "indirect",
                    "_q": None,
                    "_cue_i": tok.i,
                }
            )
    return out


def _clip_line(span: Span, tok: Token) -> Span:
    """The part of span on the cue's side of a line break (contents never cross paragraphs)."""
    doc = span.doc
    start, end = span.start, span.end
    for t in span:
        if t.is_space and "\n" in t.text:
            if t.i < tok.i:
                start = t.i + 1
            elif t.i > tok.i:
                end = min(end, t.i)
    return _trim(doc[start:end]) if end > start else doc[start:start]
