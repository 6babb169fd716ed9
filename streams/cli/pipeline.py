"""The pipeline's commands: ``worker``, ``produce``, ``tail``, ``enrich`` (offline) and ``demo``.

Heavy modules (Faust, spaCy, aiokafka) are imported inside the commands, so ``wirestream --help`` and
``wirestream broker ...`` never load them.
"""

import asyncio
import contextlib
import logging
import os
import sys

import click
import orjson

from streams.cli.errors import fail, one_line_errors
from streams.settings import topic_name

broker_option = click.option(
    "--broker",
    envvar="WIRESTREAM_BROKER",
    default=None,
    help="kafka://host:port[,host:port] (env WIRESTREAM_BROKER); default: the local broker.",
)


def resolve(broker: str | None) -> str:
    from streams.client.address import resolve_broker

    with one_line_errors():
        return resolve_broker(broker)


@click.command()
@broker_option
@click.option("--loglevel", "-l", default="warning", show_default=True)
def worker(broker, loglevel):
    """Run the Faust worker with every agent (same as `faust -A agents.pipeline worker`)."""
    os.environ["WIRESTREAM_BROKER"] = resolve(broker)
    logging.getLogger("aiokafka").setLevel(logging.NOTSET)  # a worker's log wants them
    from agents.parsing import parser
    from streams.settings import get_settings

    # The model loads before the worker joins the group, not on the first message (in the parse's child
    # process, by default, else in this one).
    parser(child=get_settings().parse_process).warm()
    from streams.worker.app import worker_app
    from streams.worker.runner import Worker

    Worker(worker_app().app, loglevel=loglevel).execute_from_commandline()


@click.command()
@broker_option
@click.argument("paths", nargs=-1, required=True)
def produce(broker, paths):
    """Push articles (files, directories, or - for JSON lines on stdin) into articles.raw."""
    from streams.client.io import ensure_topics, raw_key
    from streams.client.io import produce as send

    bootstrap = resolve(broker)
    payloads = list(_payloads(paths))
    with one_line_errors():
        asyncio.run(ensure_topics(bootstrap))
        count = asyncio.run(send(bootstrap, topic_name("raw"), ((raw_key(p), p) for _, p in payloads)))
    click.echo(f"produced {count} article(s) to {topic_name('raw')}", err=True)


def _payloads(paths):
    """(origin, bytes) for each input; '-' reads JSON lines from stdin."""
    from schemas.errors import InputPathError
    from schemas.formats.files import iter_payloads

    for path in paths:
        if path == "-":
            for n, line in enumerate(sys.stdin.buffer, 1):
                if line.strip():
                    yield f"<stdin>:{n}", line.rstrip(b"\r\n")
            continue
        try:
            yield from iter_payloads([path])
        except InputPathError as exc:
            fail(f"{exc} (check the path and its permissions)")


@click.command()
@broker_option
@click.option("--topic", default="enriched", show_default=True,
              help="enriched, deadletter, raw, parsed, partial, or a full topic name.")
@click.option("--max", "max_records", type=int, default=None, help="Exit after N records.")
@click.option("--timeout", type=float, default=None, help="Exit after SECONDS.")
@click.option("--from", "start", type=click.Choice(["earliest", "latest"]), default="earliest",
              show_default=True)
def tail(broker, topic, max_records, timeout, start):
    """Print records of a topic as JSON lines (read_committed)."""
    from streams.client.io import Reader

    bootstrap = resolve(broker)

    async def go():
        async with Reader(bootstrap, [topic_name(topic)], start=start) as reader:
            async for rec in reader.records(max_records, timeout):
                sys.stdout.buffer.write(_as_json_line(rec.value))
                sys.stdout.flush()

    with one_line_errors(), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())


def _as_json_line(value: bytes) -> bytes:
    try:
        return orjson.dumps(orjson.loads(value)) + b"\n"
    except orjson.JSONDecodeError:  # raw topic: show the text as a JSON string
        return orjson.dumps(value.decode("utf-8", "replace")) + b"\n"


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--batch-size", type=int, default=16, show_default=True)
def enrich(paths, batch_size):
    """Offline, no Kafka: articles in (JSON lines, files, or - for stdin), enriched v1 JSON lines out."""
    from agents.enrichment.intake import articles_in
    from agents.offline import enrich_offline
    from schemas.errors import InvalidArticle

    failures = 0

    def articles():  # a payload may hold several articles (a feed, JSON lines): each is one record
        nonlocal failures
        for origin, payload in _payloads(paths or ["-"]):
            try:
                found = articles_in(payload)
            except InvalidArticle as exc:
                found = [exc]
            for item in found:
                if isinstance(item, InvalidArticle):
                    failures += 1
                    click.echo(f"wirestream: {origin}: {item.reason}: {item.detail}", err=True)
                else:
                    yield item

    out = sys.stdout.buffer
    for record in enrich_offline(articles(), batch_size=batch_size):
        out.write(orjson.dumps(record) + b"\n")
    out.flush()
    if failures:
        sys.exit(2)


@click.command()
@broker_option
@click.option("--seeds", "seeds_dir", default=None, help="Directory of articles to replay (default: seeds/).")
@click.option("--timeout", type=float, default=300.0, show_default=True)
def demo(broker, seeds_dir, timeout):
    """The whole pipeline in one command: local broker, worker, replay seeds/, print the results."""
    from streams.replay.demo import run_demo

    with one_line_errors():
        sys.exit(run_demo(broker, seeds_dir, timeout))

