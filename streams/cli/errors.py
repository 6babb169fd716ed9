"""What the user can fix, from every layer, as one line: ``wirestream: <what is wrong + what to do>``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import click


def user_errors() -> tuple[type[Exception], ...]:
    """Each layer's own error types (light modules: importing them starts nothing)."""
    from schemas.errors import InputPathError
    from streams.client.errors import ClientError
    from streams.localkafka.errors import LocalKafkaError
    from streams.replay.errors import ReplayError
    from streams.settings import SettingsError
    from streams.worker.errors import TopologyError

    return (ClientError, LocalKafkaError, ReplayError, SettingsError, TopologyError, InputPathError)


def fail(message: str, code: int = 1):
    click.echo(f"wirestream: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn a user-fixable error raised inside into its one-line message and exit 1."""
    try:
        yield
    except user_errors() as exc:
        fail(str(exc))
