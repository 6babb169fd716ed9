"""Named entities grouped by canonical name within one article.

spaCy gives mentions; we clean their edges ("the", possessive "'s", honorifics), map short person
mentions to the full name used elsewhere in the article ("Kirby" -> "John Kirby"), give each group
its majority label, and drop the garbage the model produces on ALL-CAPS lines (cross-heads,
"CLICK HERE TO READ MORE ...").
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict

from spacy.tokens import Doc, Span, Token

from agents.stages.nlp import doc_text

# Numeric types (DATE, MONEY, CARDINAL, ...) are not things an article is "about"; leave them out.
NAMED_LABELS = frozenset(
    {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
_LEADING_DROP = frozenset({"the"})
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "prof"})
# words that make "<place> <word>" a newspaper or broadcaster ("Washington Examiner", "Arizona Republic")
_MASTHEADS = frozenset(
    "examiner post times journal herald tribune news star chronicle gazette globe telegraph guardian "
    "observer independent mirror express sun mail standard inquirer register enquirer dispatch review "
    "bee courant republic citizen sentinel daily free press bulletin courier democrat".split()
)
_TRAILING_DROP = frozenset({"'s", "’s", "'", "’"})
#: Title heads: "Defense Secretary Lloyd Austin" is a PERSON with a title, not an ORG "Defense" beside him.
_TITLE_HEADS = frozenset({"secretary", "minister", "chancellor", "secretary-general", "commissioner"})
#: Heads of a title "<head> of [the] <ORG>" that runs straight into a name: "Chairman of the Joint Chiefs
#: of Staff Mark Milley", "Secretary of State Antony Blinken", "Minister of Defence Ben Wallace".
_OF_TITLE_HEADS = _TITLE_HEADS | frozenset(
    {"chairman", "chairwoman", "chair", "director", "president", "head", "chief", "governor", "leader",
     "speaker", "administrator", "commander", "ambassador", "envoy", "general", "attorney"}
)
#: Ranks and honorifics that may stand between such a title and the name ("... of Staff Gen. Mark Milley").
_RANKS = frozenset(
    {"gen", "general", "adm", "admiral", "lt", "col", "colonel", "maj", "major", "capt", "captain", "sgt",
     "cmdr", "rep", "sen", "gov", "dr", "mr", "mrs", "ms", "prof", "sir", "dame", "lord", "lady", "army",
     "air", "force", "marine", "navy"}
)


def _is_caps(text: str) -> bool:
    """No lowercase letter and at least two uppercase ones: shouting, not prose."""
    return not any(c.islower() for c in text) and sum(c.isupper() for c in text) >= 2


def _caps_lines(text: str) -> list[tuple[int, int]]:
    """Shouted lines of three words or more; shorter ones are datelines ("LONDON 1996-08-30"), which
    the model reads fine (CoNLL dev: LOC F1 0.786 -> 0.802 when they are kept)."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if _is_caps(line) and sum(any(c.isalpha() for c in w) for w in line.split()) >= 3:
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _clean(ent: Span) -> Span | None:
    """Trim "the", honorifics, possessives and edge punctuation; None if nothing (or a line break) is left."""
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (
        doc[start].lower_ in _LEADING_DROP
        or doc[start].is_punct
        or (ent.label_ == "PERSON" and doc[start].lower_.rstrip(".") in _HONORIFICS)
    ):
        start += 1
    while end > start and (doc[end - 1].lower_ in _TRAILING_DROP or doc[end - 1].is_punct):
        end -= 1
    span = doc[start:end]
    if not len(span) or "\n" in span.text:
        return None
    return span


def _name_follows(doc: Doc, i: int) -> bool:
    """A person's name starts at token i: a PERSON entity, or an untagged capitalised proper noun."""
    if i >= len(doc):
        return False
    tok = doc[i]
    return tok.ent_type_ == "PERSON" or (tok.is_title and tok.ent_iob_ == "O" and tok.pos_ == "PROPN")


def _title_part(ent: Span) -> bool:
    """An ORG that is only part of a person's title, written straight before the name:
    - the first word(s) before a title head ("Defense" of "Defense Secretary Lloyd Austin", "Foreign" of
      "Foreign Minister ..."), the head followed by the name;
    - the object of "<head> of [the]" ("Chairman of the Joint Chiefs of Staff Mark Milley", "Secretary of
      State Antony Blinken"), followed by the name itself, perhaps after a rank ("Gen. Mark Milley").
    With a comma or any other word between title and name ("the chairman of Exxon, Rex Tillerson", "the
    Pentagon said Lloyd Austin") the ORG stays one."""
    doc = ent.doc
    if ent.label_ != "ORG":
        return False
    if ent.end < len(doc) and doc[ent.end].lower_ in _TITLE_HEADS and _name_follows(doc, ent.end + 1):
        return True
    i = ent.start - 1
    if i >= 0 and doc[i].lower_ == "the":
        i -= 1
    if i < 1 or doc[i].lower_ != "of" or doc[i - 1].lower_ not in _OF_TITLE_HEADS:
        return False
    j, stop = ent.end, min(len(doc), ent.end + 3)
    while j < stop and doc[j].lower_.rstrip(".") in _RANKS and doc[j].text[:1].isupper():
        j += 1
    return doc[j].ent_type_ == "PERSON" if j < len(doc) else False


def _masthead(span: Span) -> Span | None:
    """'Washington' + 'Examiner': a place followed by a capitalised masthead word is a news outlet."""
    doc, end = span.doc, span.end
    while end < len(doc) and doc[end].lower_ in _MASTHEADS and doc[end].text[:1].isupper():
        end += 1
    return doc[span.start : end] if end > span.end and not doc[end - 1].ent_type_ else None


def _key(text: str) -> str:
    """Grouping key: case and dots do not matter ("U.S." == "US", "NATO" == "Nato")."""
    return " ".join(text.casefold().replace(".", "").split())


def _person_canonical(mentions: list[dict]) -> None:
    """Point each PERSON mention's "key" at the longer name it abbreviates, if any.

    A mention whose tokens are a suffix or subset of a longer PERSON name in the article maps to that
    name; with several candidates ("Clinton": Hillary vs Bill) the nearest preceding one wins, else the
    first following one. Longer names are resolved first so chains collapse ("Kirby" -> "John F. Kirby").
    """
    persons = [m for m in mentions if m["label"] == "PERSON"]
    for m in sorted(persons, key=lambda m: (-len(m["tokens"]), m["start"])):
        toks = m["tokens"]
        best = None
        for other in persons:
            otoks = other["tokens"]
            if len(otoks) <= len(toks):
                continue
            if otoks[-len(toks) :] != toks and not set(toks) <= set(otoks):
                continue
            before = other["start"] < m["start"]
            # rank: preceding mentions by proximity, then following ones by position
            rank = (0, m["start"] - other["start"]) if before else (1, other["start"])
            if best is None or rank < best[0]:
                best = (rank, other)
        if best is not None:
            m["key"], m["display"] = best[1]["key"], best[1]["display"]


_last: list = [(None, None, None)]  # one (doc, its ents, result) tuple, replaced whole (thread-safe)


def extract_entities(doc: Doc) -> list[dict]:
    """[{name, label, mentions: [{start, end, text}]}] ordered by first mention; offsets into doc.text.

    The quote and sentiment stages call this on the same Doc right after the entity stage, so the last
    result is remembered (keyed on the Doc object and its entities) and handed out as a fresh copy.
    """
    ents = tuple((e.start, e.end, e.label) for e in doc.ents)
    last_doc, last_ents, result = _last[0]
    if last_doc is not doc or last_ents != ents:
        result = _extract(doc)
        _last[0] = (doc, ents, result)
    return [{**e, "mentions": [dict(m) for m in e["mentions"]]} for e in result]


def _extract(doc: Doc) -> list[dict]:
    caps = _caps_lines(doc_text(doc))

    def in_caps(span: Span) -> bool:
        return any(a <= span.start_char and span.end_char <= b for a, b in caps)

    mentions = []
    for ent in doc.ents:
        if ent.label_ not in NAMED_LABELS:
            continue
        span = _clean(ent)
        if span is None or _title_part(ent):
            continue
        label = ent.label_
        if label in ("GPE", "LOC") and (paper := _masthead(span)) is not None:
            span, label = paper, "ORG"
        mentions.append(
            {
                "start": span.start_char,
                "end": span.end_char,
                "text": span.text,
                "label": label,
                "tokens": [t.lower_ for t in span if not t.is_punct],
                "shouted": in_caps(span) or (label == "PERSON" and _is_caps(span.text)),
                "key": _key(span.text),
                "display": span.text,
            }
        )

    # Shouted mentions are kept only when the article also uses the name in normal case.
    normal = [m for m in mentions if not m["shouted"]]
    normal_keys = {m["key"] for m in normal}
    normal_person_tokens = [set(m["tokens"]) for m in normal if m["label"] == "PERSON"]

    def corroborated(m: dict) -> bool:
        if m["key"] in normal_keys:
            return True
        return m["label"] == "PERSON" and any(set(m["tokens"]) <= t for t in normal_person_tokens)

    mentions = [m for m in mentions if not m["shouted"] or corroborated(m)]
    _person_canonical(mentions)

    groups: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        groups[m["key"]].append(m)

    out = []
    for ms in groups.values():
        labels = Counter(m["label"] for m in ms)
        top = max(labels.values())
        label = next(m["label"] for m in ms if labels[m["label"]] == top)  # ties: first mention's label
        # display name: the most frequent normal-case surface form, earliest first on ties
        forms = Counter(m["display"] for m in ms if not _is_caps(m["display"])) or Counter(
            m["display"] for m in ms
        )
        best = max(forms.values())
        name = next(m["display"] for m in ms if forms.get(m["display"]) == best)
        out.append(
            {
                "name": name,
                "label": label,
                "mentions": [{"start": m["start"], "end": m["end"], "text": m["text"]} for m in ms],
            }
        )
    out.sort(key=lambda e: e["mentions"][0]["start"])
    return out


# ---- accurate profile: third-person singular pronouns as mentions of the PERSON they refer to
PERSON_PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
_ANTECEDENT_SEGMENTS = 2  # the antecedent may sit this many sentences back


def _fronted_subject(tok: Token) -> Token | None:
    """The subject of tok's main clause when tok sits in a clause or phrase fronted before it ("Despite
    her assurances, Reed was ..."; "Before he spoke, Reed ..."): the one place where English lets a
    pronoun come before the name it stands for."""
    root = tok.sent.root
    subj = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None or subj.left_edge.i <= tok.i:
        return None
    for left in root.lefts:
        if left.i >= subj.left_edge.i:
            break
        if left.dep_ in ("advcl", "prep", "npadvmod") and left.left_edge.i <= tok.i <= left.right_edge.i:
            return subj
    return None


def with_pronoun_mentions(doc: Doc, entities: list[dict]) -> list[dict]:
    """entities, with each he/him/his/she/her(s)/-self token added as a mention of the nearest PERSON
    mention before it (in the same sentence or up to two sentences back; no gender check), or, with
    none before it, of the PERSON that is the subject of the main clause the pronoun's fronted clause
    precedes (_fronted_subject). Returns new dicts; mentions stay in document order."""
    from agents.stages.nlp import segments

    persons = sorted(
        (m["start"], m["end"], i)
        for i, e in enumerate(entities)
        if e["label"] == "PERSON"
        for m in e["mentions"]
    )
    if not persons:
        return entities
    segs = segments(doc)
    starts = [s.start_char for s in segs]

    def seg_index(char: int) -> int:
        return bisect.bisect_right(starts, char) - 1

    taken = {(m["start"], m["end"]) for e in entities for m in e["mentions"]}
    added: dict[int, list[dict]] = defaultdict(list)
    for tok in doc:
        if tok.lower_ not in PERSON_PRONOUNS or tok.pos_ not in ("PRON", "DET"):
            continue
        span = (tok.idx, tok.idx + len(tok.text))
        if span in taken:
            continue
        k = seg_index(tok.idx)
        best = None
        for s, e, i in persons:
            if e > tok.idx:
                break
            if seg_index(s) >= k - _ANTECEDENT_SEGMENTS:
                best = i
        if best is None and (subj := _fronted_subject(tok)) is not None:
            best = next((i for s, e, i in persons if s <= subj.idx < e), None)
        if best is not None:
            added[best].append({"start": span[0], "end": span[1], "text": tok.text})
    if not added:
        return entities
    out = []
    for i, e in enumerate(entities):
        ms = e["mentions"] + added.get(i, [])
        out.append({**e, "mentions": sorted(ms, key=lambda m: m["start"]) if i in added else ms})
    return out


def entities_stage(doc: Doc) -> list[dict]:
    """The entity stage: extract_entities(doc), plus resolved pronoun mentions in the accurate profile
    ($WIRESTREAM_PROFILE=accurate), so that what the article says about "he"/"she" reaches the entity."""
    from agents.stages.nlp import profile

    ents = extract_entities(doc)
    return with_pronoun_mentions(doc, ents) if profile() == "accurate" else ents
