"""Payloads from files and directories (``wirestream produce``, ``enrich``, ``replay``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from schemas.errors import InputPathError


def iter_payloads(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(origin, payload)`` for files and directories, in a stable order.

    Directories are walked recursively in sorted order, skipping hidden files and directories.
    ``.jsonl`` files give one payload per non-empty line (origin ``path:line``); any other file is one
    payload. Missing paths raise :class:`InputPathError` here, before anything is yielded.
    """
    for p in paths:
        if not os.path.exists(p):
            raise InputPathError(f"input path {p!r} does not exist")
    return _iter_payloads([Path(p) for p in paths])


def _iter_payloads(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        for file in _walk(path):
            try:
                if file.suffix == ".jsonl":
                    with file.open("rb") as fh:
                        for n, line in enumerate(fh, 1):
                            if line.strip():
                                yield f"{file}:{n}", line.strip()
                else:
                    yield str(file), file.read_bytes()
            except OSError as e:
                raise InputPathError(f"cannot read input {str(file)!r}: {e.strerror or e}") from None


def _walk(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return

    def fail(e: OSError):
        raise InputPathError(f"cannot list input directory {e.filename!r}: {e.strerror}")

    for root, dirs, files in os.walk(path, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield from (Path(root) / f for f in sorted(files) if not f.startswith("."))
