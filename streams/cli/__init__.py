"""The ``wirestream`` command line: one click group, its commands loaded only when they run.

One module per family of commands: pipeline.py (worker, produce, tail, enrich, demo), broker.py (the
local Kafka), replay.py (the load test), trending.py, formats.py (the input formats), web.py (the
newsroom page over workers), security.py (the TLS/SASL flags every command takes).
errors.py turns every layer's user-fixable errors into one line.
"""

from __future__ import annotations

import importlib
import logging

import click

from streams.cli.security import security_options

#: command name -> "module:attribute", imported when the command is looked up (`--help` lists them).
COMMANDS = {
    "worker": "streams.cli.pipeline:worker",
    "produce": "streams.cli.pipeline:produce",
    "tail": "streams.cli.pipeline:tail",
    "enrich": "streams.cli.pipeline:enrich",
    "demo": "streams.cli.pipeline:demo",
    "broker": "streams.cli.broker:broker",
    "replay": "streams.cli.replay:replay",
    "trending": "streams.cli.trending:trending",
    "web": "streams.cli.web:web",
    "kafka": "streams.cli.kafka:kafka",
    "formats": "streams.cli.formats:formats",
}


class LazyGroup(click.Group):
    """A group whose commands live in modules imported on demand (click's documented lazy-loading
    pattern), so one command never pays for another's imports."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@security_options
def main():
    """wirestream: enrich wire-feed articles on Kafka with entities, quotes and sentiment."""
    # aiokafka logs every failed connection attempt; the CLI reports the outcome in one line instead.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
