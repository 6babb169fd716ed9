"""IPTC NITF: one article per document (``<nitf>``), text from ``body.content``. Also used for the NITF
that NewsML-G2 ``inlineXML`` and NewsML 1.2 ``DataContent`` carry (:func:`nitf_article_parts`).

Besides the article it keeps a little ninjs-2-shaped metadata (``uri``, ``versioncreated``, ``by``,
``urgency``, ``subjects``) for the ninjs projection, and the same facts as ``source_meta``.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from schemas.article import Article, check_body, clean, clean_headline, stable_id
from schemas.errors import InvalidArticle
from schemas.formats.xml import XML_LANG, article, find, iso, local, root_name, text_of, xml_root

NAME = "nitf"


def detect(text: str) -> bool:
    return root_name(text) == "nitf"


def parse(text: str, stamp: str) -> list[Article | InvalidArticle] | None:
    root = xml_root(text)
    if root is None:
        return None
    if local(root.tag) != "nitf":
        raise InvalidArticle("unsupported_format", f"XML root <{local(root.tag)}> is not NITF")
    return [from_element(root, stamp)]


def body_text(content: Element | None) -> str | None:
    """Paragraphs (``p``, ``hl2``) of a ``body.content``, else all its text; None without one."""
    if content is None:
        return None
    paras = [" ".join("".join(p.itertext()).split()) for p in content.iter() if local(p.tag) in ("p", "hl2")]
    return "\n\n".join(p for p in paras if p) or "".join(content.itertext())


def nitf_article_parts(root: Element) -> tuple[str | None, str | None, dict]:
    """(headline, body text, source_meta) of a ``<nitf>`` element; body None without ``body.content``."""
    head, body = find(root, ["head"]), find(root, ["body"])
    headline = text_of(find(body, ["body.head", "hedline", "hl1"])) or text_of(find(head, ["title"]))
    text = body_text(find(body, ["body.content"]))
    docdata = find(head, ["docdata"])
    meta: dict = {}
    if (doc_id := find(docdata, ["doc-id"])) is not None and doc_id.get("id-string"):
        meta["guid"] = clean(doc_id.get("id-string")).strip()
    if (issued := find(docdata, ["date.issue"])) is not None and (when := iso(issued.get("norm"))):
        meta["versioncreated"] = when
    if (urg := find(docdata, ["urgency"])) is not None and (urg.get("ed-urg") or "").isdigit():
        meta["urgency"] = int(urg.get("ed-urg"))
    if byline := text_of(find(body, ["body.head", "byline"])):
        meta["byline"] = byline
    if dateline := text_of(find(body, ["body.head", "dateline"])):
        meta["dateline"] = dateline
    if (copyrite := find(docdata, ["doc.copyright"])) is not None and copyrite.get("holder"):
        meta["copyright"] = copyrite.get("holder")
    subjects = [{"code": f"subj:{s.get('tobject.subject.refnum')}",
                 **({"name": clean(n)} if (n := s.get("tobject.subject.matter")
                                             or s.get("tobject.subject.type")) else {})}
                for s in root.iter()
                if local(s.tag) == "tobject.subject" and s.get("tobject.subject.refnum")]
    if subjects:
        meta["subjects"] = subjects
    return headline, text, meta


def from_element(root: Element, stamp: str) -> Article:
    raw_headline, text, meta = nitf_article_parts(root)
    headline = clean_headline(raw_headline)
    body = check_body(text, "NITF has no body.content")
    content = find(root, ["body", "body.content"])
    language = root.get(XML_LANG) or (content.get(XML_LANG) if content is not None else None)
    art_id = meta.get("guid") or stable_id(headline, body)
    ninjs: dict = {k: meta[k] for k in ("versioncreated", "urgency") if k in meta}
    if "byline" in meta:
        ninjs["by"] = meta["byline"]
    if "subjects" in meta:
        ninjs["subjects"] = [{"name": s.get("name", ""), "uri": s["code"]} for s in meta["subjects"]]
    return article(art_id, headline, body, language, None, stamp, NAME, ninjs, {"format": NAME, **meta})
