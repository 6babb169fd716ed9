"""``wirestream kafka TOOL ARGS...``: Kafka's own command-line tools (streams/localkafka/tools.py) against the
configured broker, with the configured security settings."""

import sys

import click

from streams.cli.errors import one_line_errors
from streams.cli.pipeline import broker_option


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@broker_option
@click.argument("tool")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def kafka(broker, tool, args):
    """Run Kafka's tool TOOL (topics, consumer-groups, console-consumer, ...) against the broker."""
    from streams.localkafka.tools import run

    with one_line_errors():
        code = run(tool, args, broker, echo=lambda line: click.echo(line, err=True))
    sys.exit(code)
