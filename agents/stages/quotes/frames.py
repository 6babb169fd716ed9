"""Indirect quotes: the content frames of a verb ("X said (that) ...", "X called for ...") or a noun ("the
claim that ...", "his announcement of ..."), each also without the modifiers trailing its head (the
"~cut" variant), and which of them are attributions, by a logistic regression trained on PolNeAR train
(scripts/train_cues.py), whose positives are frames whose cue word is the gold attribution's cue."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from agents.stages.nlp import doc_text, span_dict
from agents.stages.quotes.speakers import (
    INDIRECT_CUES,
    Resolver,
    agent,
    attribution,
    is_cue,
    noun_frames,
    noun_speaker,
    speaker_token,
)

CUES_PATH = Path(__file__).resolve().parents[1] / "models" / "cues.json"
CUE_MIN_RATE = 0.5  # a (verb, frame) pair is a cue when at least this share of its PolNeAR uses was one
CUE_MIN_COUNT = 2
CLF_PATH = Path(__file__).resolve().parents[1] / "models" / "attribution.json"
CLF_MIN_P = 0.4
MIN_CONTENT_WORDS = 2
CUE_POS = ("VERB", "AUX", "NOUN")  # parts of speech whose frames are candidate attributions


def frames(tok: Token) -> list[tuple[str, Span]]:
    """(frame, content span) pairs a verb (or, through speakers.noun_frames, a noun) offers as an
    attribution's content, each followed by its "<frame>~cut" variant where cut_modifiers() gives one.

    "ccomp" ("X said (that) ..."), "xcomp" ("X wants to ..."), "dobj" ("X called the plan a disaster",
    with its object predicate), and "prep:<p>" ("X called for ...", "X talked about ..."). Which
    (lemma, frame) pairs really are attributions, and how often, is learned from PolNeAR train
    (scripts/train_cues.py -> agents/stages/models/cues.json).
    """
    base = noun_frames(tok) if tok.pos_ == "NOUN" else _verb_frames(tok)
    out = []
    for frame, span in base:
        out.append((frame, span))
        short = cut_modifiers(span)
        if short is not None:
            out.append((f"{frame}~cut", short))
    return out


CUT_DEPS = ("prep", "advcl", "relcl", "acl", "npadvmod")


def cut_modifiers(span: Span) -> Span | None:
    """The span without the modifiers trailing its head ('the analogy | during a campaign speech ...'),
    when there are any and at least two words remain; the "~cut" variant of a frame (which of the two a
    verb's content is, the attribution classifier learns)."""
    root = span.root
    doc = span.doc
    for d in root.rights:
        if d.dep_ in CUT_DEPS and span.start <= d.left_edge.i < span.end:
            end = d.left_edge.i
            while end > span.start and (doc[end - 1].is_punct or doc[end - 1].is_space):
                end -= 1
            if sum(t.is_alpha for t in doc[span.start : end]) >= 2:
                return doc[span.start : end]
            return None
    return None


#: Aspectual verbs take an event, not what someone said, as their "to ..." complement: "Russia has continued
#: to mass soldiers" reports no speech; "continued to insist that ..." is cued by "insist", which has
#: frames of its own.
ASPECTUAL = frozenset("continue begin start keep cease stop resume".split())
#: Verbs of naming say something only with the name they give: "called the plan a disaster" is an
#: attribution, "called their counterparts" (phoned) or "called a meeting" is not.
NAMING = frozenset("call label dub term brand".split())


def _verb_frames(tok: Token) -> list[tuple[str, Span]]:
    doc = tok.doc
    out = []
    kids = list(tok.children)
    lemma = tok.lemma_.lower()
    for n, c in enumerate(kids):
        if c.dep_ in ("ccomp", "xcomp"):
            if c.dep_ == "xcomp" and lemma in ASPECTUAL:
                continue
            out.append((c.dep_, doc[c.left_edge.i : c.right_edge.i + 1]))
        elif c.dep_ == "dobj":
            end = c.right_edge.i + 1
            for d in kids[n + 1 :]:
                if d.dep_ in ("oprd", "xcomp", "ccomp", "advcl") or (d.dep_ == "prep" and d.lower_ == "as"):
                    end = d.right_edge.i + 1
            if end == c.right_edge.i + 1 and lemma in NAMING and not any(t.is_quote for t in doc[c.i : end]):
                continue  # no name given (a quoted object, 'called the bill “a good day”', is one)
            out.append(("dobj", doc[c.left_edge.i : end]))
        elif c.dep_ == "nsubjpass" and c.i < tok.i and agent(tok) is not None:
            # "The claim was denied by the ministry": what was said is the passive's subject (all verbs,
            # as for the other frames: the classifier tells "was denied by" from "was endorsed by";
            # speech verbs only lost .004 F1 on dev)
            out.append(("nsubjpass", doc[c.left_edge.i : c.right_edge.i + 1]))
        elif c.dep_ == "prep" and c.i > tok.i:
            pobj = next((g for g in c.children if g.dep_ in ("pobj", "pcomp")), None)
            if pobj is not None:
                out.append((f"prep:{c.lower_}", doc[pobj.left_edge.i : pobj.right_edge.i + 1]))
    return out


def trim(span: Span) -> Span:
    """Strip edge punctuation and whitespace, but keep quote marks (they belong to a quoted part)."""
    doc, start, end = span.doc, span.start, span.end
    while end > start and ((doc[end - 1].is_punct and not doc[end - 1].is_quote) or doc[end - 1].is_space):
        end -= 1
    while start < end and ((doc[start].is_punct and not doc[start].is_quote) or doc[start].is_space):
        start += 1
    return doc[start:end]


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


def cue_lemma(tok: Token) -> str:
    """A cue's key in cues.json and the classifier's features: its lemma, nouns prefixed "N:" (the noun
    "claim" is not the verb "claim"); scripts/train_cues.py writes the keys this reads."""
    return ("N:" if tok.pos_ == "NOUN" else "") + tok.lemma_.lower()


def candidate_features(tok: Token, frame: str, content: Span) -> list[str]:
    """Features of 'verb tok introduces content through frame' for the attribution classifier."""
    noun = tok.pos_ == "NOUN"
    lemma = cue_lemma(tok)
    subj = noun_speaker(tok) if noun else speaker_token(tok)
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
    lemma = cue_lemma(tok)
    best = None
    for frame, span in frames(tok):
        if clf is not None:
            w = clf["weights"]
            z = sum(w.get(f, 0.0) for f in candidate_features(tok, frame, trim(span)))
            score, floor = 1 / (1 + math.exp(-z)), CLF_MIN_P
        else:
            score, floor = table.get(f"{lemma} {frame}", 0.0), CUE_MIN_RATE
        if score >= floor and (best is None or score > best[0]):
            best = (score, frame, span)
    return best


def indirect_quotes(
    doc: Doc, segs: list[Span], direct: list[dict], resolver: Resolver, inside_quote, quoted: list
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
            if (tok.lower_ == "according" and is_cue(tok)) or (
                tok.dep_ == "parataxis" and tok.pos_ == "VERB" and tok.lemma_.lower() in INDIRECT_CUES
            ):
                # the attribution is an aside ("..., according to X", "A, X said, B"): content is the rest
                a, b = tok.left_edge.i, tok.right_edge.i + 1
                left, right = doc[seg.start : a], doc[b : seg.end]
                n_left, n_right = sum(t.is_alpha for t in left), sum(t.is_alpha for t in right)
                content = seg if n_left >= 2 and n_right >= 2 and tok.dep_ == "parataxis" else (
                    left if n_left >= 4 else right
                )
                bounds, how, score = (a, b), "aside", None
            elif tok.pos_ in CUE_POS and (choice := _frame_choice(tok)) is not None:
                score, how, content = choice[0], "frame", choice[2]
                bounds = (seg.start, content.start) if tok.i < content.start else (content.end, seg.end)
            else:
                continue
            content = trim(content)
            if not len(content) or "\n" in content.text:
                content = _clip_line(content, tok)
            # words outside every direct quote tell indirect/mixed from a direct quote's own clause
            outside = sum(t.is_alpha and not inside_quote(t) for t in content)
            if sum(t.is_alpha for t in content) < MIN_CONTENT_WORDS or outside <= 1:
                continue
            cue, speaker = attribution(tok, resolver, *bounds)
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
            if held and inner_cue_before(doc, tok, s, held[0]["_q"]["open"]):
                continue  # '..., saying, “...”': the quotation has its own cue inside this content
            if held and held[0]["_q"]["open"] == s and colon_introduced(doc_text(doc), s):
                continue  # 'X told BBC News: “...”': the quotation is the content, a direct record
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
                    "_how": how,
                    "_p": score,
                }
            )
    return out


def inner_cue_before(doc: Doc, cue: Token, start: int, quote_open: int, reach: int = 3) -> bool:
    """Whether a speech verb other than ``cue`` stands in [start, quote_open), at most ``reach`` words
    before the quotation ('telling them, “...”', 'saying he “...”')."""
    words = [t for t in doc if start <= t.idx < quote_open and not t.is_punct and not t.is_space]
    return any(t.i != cue.i and is_cue(t) and t.lower_ != "according" for t in words[-reach:])


def colon_introduced(text: str, start: int) -> bool:
    """Whether a colon stands right before ``start`` (spaces aside): 'X told BBC News: “...”' introduces
    the quotation alone, so a frame running from it on past its close is not the content."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i >= 0 and text[i] == ":"


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
    return trim(doc[start:end]) if end > start else doc[start:start]
