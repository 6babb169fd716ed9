"""Dead-letter records (schema ``deadletter-v1.schema.json``) for payloads a stage could not process.

A dead letter must always fit one Kafka message (default limit about 1 MB), so the copied ``original``
is capped by its *serialised* size: base64 grows data by 4/3 and JSON escapes control characters to
six bytes each. Only the given arguments are recorded, never environment or host data.
"""

from __future__ import annotations

import base64

import orjson

from schemas.article import MAX_ID_CHARS
from schemas.clock import utc_now

MAX_ORIGINAL_JSON_BYTES = 786_432  # 768 KiB for `original`, leaving headroom under Kafka's 1 MiB
MAX_DETAIL_CHARS = 4_000
MAX_LABEL_CHARS = 255  # reason, stage, topic


def make_deadletter(
    reason: str,
    detail: str,
    original: bytes | None,
    *,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    article_id: str | None = None,
    stage: str | None = None,
) -> dict:
    """Build a dead-letter dict; ``original`` is kept as text when valid UTF-8, else base64."""
    if original is None:  # e.g. a Kafka tombstone
        raw = b""
    elif isinstance(original, str):
        raw = original.encode("utf-8", "surrogatepass")
    else:
        raw = bytes(original)
    text, encoding, truncated = _encode_original(raw)
    return {
        "schema_version": 1,
        "id": str(article_id)[:MAX_ID_CHARS] if article_id is not None else None,
        "reason": str(reason)[:MAX_LABEL_CHARS] or "unknown",
        "detail": " ".join(str(detail).split())[:MAX_DETAIL_CHARS],  # one line, whatever the caller passed
        "stage": str(stage)[:MAX_LABEL_CHARS] if stage is not None else None,
        "source": {
            "topic": str(topic)[:MAX_LABEL_CHARS] if topic is not None else None,
            "partition": partition,
            "offset": offset,
        },
        "original": text,
        "original_encoding": encoding,
        "original_truncated": truncated,
        "original_size": len(raw),
        "failed_at": utc_now(),
    }


def _json_size(text: str) -> int:
    return len(orjson.dumps(text))


def _encode_original(raw: bytes) -> tuple[str, str, bool]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        cut = raw[: MAX_ORIGINAL_JSON_BYTES // 4 * 3 - 3]  # base64 output stays within the budget
        return base64.b64encode(cut).decode("ascii"), "base64", len(cut) < len(raw)
    if _json_size(text) <= MAX_ORIGINAL_JSON_BYTES:
        return text, "utf-8", False
    # Longest byte prefix whose serialised text fits; "ignore" only drops a split trailing character.
    lo, hi = 0, min(len(raw), MAX_ORIGINAL_JSON_BYTES)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _json_size(raw[:mid].decode("utf-8", "ignore")) <= MAX_ORIGINAL_JSON_BYTES:
            lo = mid
        else:
            hi = mid - 1
    return raw[:lo].decode("utf-8", "ignore"), "utf-8", True
