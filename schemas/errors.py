"""The data layer's errors: what is wrong with an input, in one line (dead letters carry ``reason``)."""

REASONS = frozenset(  # every InvalidArticle.reason parse_raw / Article.from_dict can give
    {"payload_too_large", "not_utf8", "invalid_json", "wrong_type", "too_deeply_nested", "missing_body",
     "empty_body", "body_too_large", "headline_too_large", "id_too_large", "unsupported_format",
     "missing_field", "invalid_ninjs", "invalid_xml", "empty_feed", "multiple_articles",
     "bad_encoding",  # bytes that do not decode in the encoding the XML declares (or an unknown one)
     "not_text",  # a picture, video, audio or graphic item (NewsML-G2, NewsML 1.2): nothing to analyse
     "package_item",  # a NewsML-G2 packageItem: references to other items, no text of its own
     "empty_message",  # a NewsML message or JSON response with no items at all
     "invalid_wire_text"}  # ANPA-1312 / IPTC 7901 framing or header that cannot be read
)


class InvalidArticle(ValueError):
    """An unusable payload. ``reason`` is a short slug, ``detail`` one human-readable line."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InputPathError(OSError):
    """An input path for ``wirestream produce`` is missing or unreadable (message names the path)."""
