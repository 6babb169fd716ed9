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
        if verb.dep_ not in _INHERIT_SUBJ or verb.head.i == verb.i:
            break
        verb = verb.head
    return None


def agent(verb: Token) -> Token | None:
    """The "by X" of a passive verb ("the claim was denied by the ministry"): who spoke, where the
    grammatical subject is what was said."""
    for c in verb.children:
        if c.dep_ == "agent":
            return next((g for g in c.children if g.dep_ == "pobj"), None)
    return None


def speaker_token(verb: Token) -> Token | None:
    """Who a verb cue's speaker is: a passive's agent when it has one, else its subject."""
    return agent(verb) or subject(verb)


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
    if end < len(doc) and doc[end].dep_ == "prt" and doc[end].head.i == tok.i:  # "pointed out"
        end += 1
    subj = speaker_token(tok)
    if subj is None:  # inverted cue parsed without nsubj: '"...," said Kirby.'
        subj = next((c for c in tok.rights if c.pos_ == "PROPN" and c.dep_ in _INVERTED_SUBJ), None)
    return doc[tok.i : end], subj


def is_cue(tok: Token) -> bool:
    if tok.lower_ == "according":
        return any(c.lower_ == "to" for c in tok.children)
    return tok.pos_ == "VERB" and tok.lemma_.lower() in CUES


def _np_end(head: Token, hi: int) -> int:
    """End (exclusive) of head's name: the head and the compounds / flat names / numbers right after it."""
    doc = head.doc
    end = head.i + 1
    while end < hi and doc[end].head.i == head.i and doc[end].dep_ in ("compound", "flat", "nummod"):
        end += 1
    return end


#: The dependencies from a conjunct up to the subject within one noun phrase: "The League Against Cruel
#: Sports and the RSPCA" hangs "RSPCA" off "Sports", inside the subject's own modifier.
_NP_PATH = ("prep", "pobj", "conj", "compound", "flat")


def conjuncts(root: Token) -> list[Token]:
    """The nouns coordinated with root or with a noun of its phrase ("The League ... and the RSPCA"), in
    order; not through relative clauses, appositions or verbs."""
    out = []
    for t in root.subtree:
        if t.dep_ != "conj" or t.i <= root.i or t.pos_ not in ("PROPN", "NOUN", "PRON"):
            continue
        h = t.head
        while h.i != root.i and h.dep_ in _NP_PATH:
            h = h.head
        if h.i == root.i:
            out.append(t)
    return out


def _speaker_span(subj: Token, lo: int, hi: int, head: Token | None = None) -> Span:
    """The subject's noun phrase up to its head, without relative clauses or appositions, kept in [lo, hi).

    A coordination is kept whole ("The League Against Cruel Sports and the RSPCA": both spoke), and a
    title running straight into the name ("Chairman of the Joint Chiefs of Staff Mark Milley": ``head``)
    runs to the end of the name."""
    doc = subj.doc
    start = max(subj.left_edge.i, lo)
    end = _np_end(subj, hi)
    roots = [subj] if head is None or head.i == subj.i else [subj, head]
    for h in roots:
        if h.i != subj.i and h.i < hi:
            end = max(end, _np_end(h, hi))
        for c in conjuncts(h):
            if c.i < hi and not any(t.is_space and "\n" in t.text for t in doc[end : c.i]):
                end = max(end, _np_end(c, hi))
    while start < subj.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    return doc[start:end]


def _title_name(subj: Token, resolver: Resolver, lo: int, hi: int) -> Token | None:
    """The person a title subject names. "Chairman of the Joint Chiefs of Staff Mark Milley" comes parsed
    as "Chairman" with the name as its apposition, or ("Chairman of the Federal Reserve Board Tom
    Reed") as the last object of the title's "of": the speaker is the person, not the title. The object
    route needs a bare capitalised title (no "the", "his": "the wife of Tom Reed" is not Tom Reed) and a
    capitalised word right before the name inside its phrase (the organisation of the title)."""
    if resolver.label_at(subj) in ("PERSON", "ORG"):
        return None
    for c in subj.children:
        if c.dep_ == "appos" and c.i > subj.i and lo <= c.i < hi and resolver.label_at(c) == "PERSON":
            return c
    if not subj.is_title or any(c.dep_ in ("det", "poss") for c in subj.children):
        return None
    doc, t = subj.doc, subj
    for _ in range(4):  # "Chairman of the Joint Chiefs of Staff ...": a short chain of objects
        prep = next((c for c in t.children if c.dep_ == "prep" and c.i > t.i), None)
        pobj = next((g for g in prep.children if g.dep_ == "pobj"), None) if prep is not None else None
        if pobj is None or not lo <= pobj.i < hi:
            return None
        mention = resolver.mention_of(pobj)
        if mention is not None and mention[1] == "PERSON":
            before = doc[mention[0].i - 1]
            if pobj.left_edge.i <= before.i and before.pos_ == "PROPN" and before.is_title:
                return pobj
            return None
        t = pobj
    return None


def _subject_in_paragraph(tok: Token, lo: int) -> Token | None:
    """A stand-in subject when the parser took the cue's subject from another paragraph (a cross-head
    glued onto "Kirby clarified ..."): the noun right before the cue in its own paragraph, past
    auxiliaries, negations and adverbs."""
    doc = tok.doc
    i = tok.i - 1
    while i >= lo and doc[i].dep_ in ("aux", "auxpass", "neg", "advmod"):
        i -= 1
    if i >= lo and doc[i].pos_ in ("PROPN", "PRON", "NOUN"):
        return doc[i]
    return None


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

    def _holding(self, tok: Token) -> tuple[int, int, str, str] | None:
        """The first (start, end, name, label) mention whose characters hold tok's first character."""
        return next((m for m in self.mentions if m[0] <= tok.idx < m[1]), None)

    def mention_of(self, tok: Token) -> tuple[Token, str] | None:
        """(first token, label) of the entity mention holding tok, if any."""
        m = self._holding(tok)
        if m is None:
            return None
        span = tok.doc.char_span(m[0], m[1], alignment_mode="expand")
        return (span[0] if span is not None and len(span) else tok), m[3]

    def label_at(self, tok: Token) -> str | None:
        m = self.mention_of(tok)
        return m[1] if m else None

    def entity(self, span: Span, head: Token) -> str | None:
        if head.lower_ in PERSON_PRONOUNS:
            # nearest preceding PERSON that is not itself inside quoted speech
            for s, e, name, label in reversed(self.mentions):
                if e <= head.idx and label == "PERSON" and not any(a <= s < b for a, b in self.quoted):
                    return name
            return None
        # the entity must hold the subject's head: in "Richmond police" the speaker is not Richmond
        m = self._holding(head)
        return m[2] if m else None


def attribution(tok: Token, resolver: Resolver, lo: int, hi: int) -> tuple[dict, dict | None]:
    doc = tok.doc
    cue, subj = _cue_speaker(tok)
    if subj is not None and not lo <= subj.i < hi and tok.pos_ != "NOUN":
        a, b = sorted((subj.i, tok.i))
        if any(t.is_space and "\n" in t.text for t in doc[a:b]):  # the parse crossed a paragraph break
            subj = _subject_in_paragraph(tok, lo)
    speaker = None
    if subj is not None and lo <= subj.i < hi:  # never a word from inside the quote
        named = _title_name(subj, resolver, lo, hi)
        span = _speaker_span(subj, lo, hi, named if named is not None and _adjacent(subj, named) else None)
        if len(span):
            speaker = span_dict(doc, span.start_char, span.end_char)
            speaker["entity"] = resolver.entity(span, named if named is not None else subj)
    return span_dict(doc, cue.start_char, cue.end_char), speaker


def _adjacent(subj: Token, name: Token) -> bool:
    """Whether nothing but words stand between a title's head and its name (no comma: a title)."""
    return not any(t.is_punct for t in subj.doc[subj.i + 1 : name.left_edge.i])
