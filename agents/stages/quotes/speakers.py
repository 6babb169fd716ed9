"""Who speaks: cue verbs, their subjects as speakers, and the entity each speaker names."""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from agents.stages.entities import extract_entities
from agents.stages.nlp import span_dict

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
PERSON_PRONOUNS = frozenset({"he", "she"})
_SUBJ = ("nsubj", "nsubjpass")
# a participle, coordinated or prepositional cue ("..., he said, adding ...", "before asking") takes its
# subject from its head
_INHERIT_SUBJ = ("conj", "advcl", "xcomp", "pcomp", "prep")
_INVERTED_SUBJ = ("dobj", "attr", "npadvmod")


def subject(verb: Token) -> Token | None:
    for _ in range(4):  # bounded walk up through participles / conjuncts
        for child in verb.children:
            if child.dep_ in _SUBJ:
                return child
        if verb.dep_ not in _INHERIT_SUBJ or verb.head is verb:
            break
        verb = verb.head
    return None


NOUN_PREPS = frozenset("of on about for against to over".split())


def noun_speaker(noun: Token) -> Token | None:
    """Who holds a noun cue: "his claim", "Obama's announcement", "the White House statement", "a
    statement by the agency", or the subject of the verb it is the object of ("X made the claim that")."""
    for c in noun.children:
        named = c.dep_ == "compound" and c.pos_ == "PROPN" and c.ent_type_ in ("PERSON", "ORG")
        if c.dep_ == "poss" or named:
            return c
    for c in noun.children:
        if c.dep_ in ("prep", "agent") and c.lower_ in ("by", "from") and c.i > noun.i:
            pobj = next((g for g in c.children if g.dep_ == "pobj"), None)
            if pobj is not None:
                return pobj
    if noun.dep_ in ("dobj", "attr") and noun.head.pos_ in ("VERB", "AUX"):
        return subject(noun.head)
    return None


def noun_frames(noun: Token) -> list[tuple[str, Span]]:
    """(frame, content) pairs a noun offers: "the claim that ..." / "the promise to ..." (a clause) and
    "the announcement of ..." (a preposition among NOUN_PREPS)."""
    doc = noun.doc
    out = []
    for c in noun.rights:
        if c.dep_ in ("acl", "ccomp") and any(g.dep_ in ("mark", "aux") for g in c.children):
            out.append((c.dep_, doc[c.left_edge.i : c.right_edge.i + 1]))
        elif c.dep_ == "prep" and c.lower_ in NOUN_PREPS:
            pobj = next((g for g in c.children if g.dep_ in ("pobj", "pcomp")), None)
            if pobj is not None:
                out.append((f"prep:{c.lower_}", doc[pobj.left_edge.i : pobj.right_edge.i + 1]))
    return out


def _cue_speaker(tok: Token) -> tuple[Span, Token | None]:
    """(cue span, speaker head token) for a cue token: a speech verb or the "according" of "according to"."""
    doc = tok.doc
    if tok.lower_ == "according":
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
        return doc[tok.i : tok.i + 2], pobj
    if tok.pos_ == "NOUN":
        return doc[tok.i : tok.i + 1], noun_speaker(tok)
    end = tok.i + 1
    if end < len(doc) and doc[end].dep_ == "prt" and doc[end].head is tok:  # "pointed out"
        end += 1
    subj = subject(tok)
    if subj is None:  # inverted cue parsed without nsubj: '"...," said Kirby.'
        subj = next((c for c in tok.rights if c.pos_ == "PROPN" and c.dep_ in _INVERTED_SUBJ), None)
    return doc[tok.i : end], subj


def is_cue(tok: Token) -> bool:
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


class Resolver:
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
        if head.lower_ in PERSON_PRONOUNS:
            # nearest preceding PERSON that is not itself inside quoted speech
            for s, e, name, label in reversed(self.mentions):
                if e <= head.idx and label == "PERSON" and not any(a <= s < b for a, b in self.quoted):
                    return name
            return None
        # the entity must hold the subject's head: in "Richmond police" the speaker is not Richmond
        hits = [m for m in self.mentions if m[0] <= head.idx < m[1]]
        return hits[0][2] if hits else None


def attribution(tok: Token, resolver: Resolver, lo: int, hi: int) -> tuple[dict, dict | None]:
    doc = tok.doc
    cue, subj = _cue_speaker(tok)
    speaker = None
    if subj is not None and lo <= subj.i < hi:  # never a word from inside the quote
        span = _speaker_span(subj, lo, hi)
        if len(span):
            speaker = span_dict(doc, span.start_char, span.end_char)
            speaker["entity"] = resolver.entity(span, subj)
    return span_dict(doc, cue.start_char, cue.end_char), speaker
