"""`wirestream replay`: replay articles through the pipeline, measure it, and check nothing was lost."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import click
import orjson

from streams.cli.errors import fail, user_errors
from streams.client.address import resolve_broker
from streams.localkafka import LocalKafka
from streams.replay.stats import plot, report, table


@click.command("replay")
@click.argument("paths", nargs=-1)
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Articles to send [default: each input once]; cycles with fresh ids beyond the set.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Articles per second, evenly spaced.")
@click.option("--max-rate", is_flag=True, help="As fast as the producer accepts (the default).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write the figures as JSON here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of latency over time and its histogram here.")
@click.option("--broker", envvar="WIRESTREAM_BROKER", default=None,
              help="kafka://host:port[,host:port] (env WIRESTREAM_BROKER); default: the local broker, "
                   "started (and stopped afterwards) if none runs.")
@click.option("--workers", type=click.IntRange(min=0), default=1, show_default=True,
              help="Worker processes to start for the replay; 0 uses the workers already running.")
@click.option("--timeout", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="Seconds to wait after the last send for every article to come out.")
def replay(paths, count, rate, max_rate, report_path, plot_path, broker, workers, timeout):
    """Replay articles (files, directories, .tar.gz; default seeds/) and measure throughput and latency.

    Exits 1 if any article never came out (enriched or dead-lettered) before the timeout.
    """
    from streams.replay.run import Options, default_paths, run_replay
    from streams.replay.source import read_inputs, schedule, to_items

    if rate and max_rate:
        raise click.UsageError("--rate and --max-rate exclude each other")
    from schemas.errors import InputPathError

    try:
        inputs = read_inputs(list(paths) or default_paths())
    except InputPathError as exc:
        raise click.ClickException(str(exc)) from None
    if not inputs:
        raise click.ClickException("no articles found in the given paths")
    base, articles = to_items([p for _, p in inputs])
    items = list(schedule(base, articles, count or len(base)))

    with contextlib.ExitStack() as stack:
        try:
            bootstrap = _broker(broker, stack)
            from streams.client.io import ensure_topics

            asyncio.run(ensure_topics(bootstrap))
            bar, restart = stack.enter_context(_progress_bar(len(items)))
            click.echo(f"replaying {len(items)} article(s) from {len(inputs)} input(s) "
                       f"{f'at {rate:g}/s' if rate else 'as fast as accepted'}; "
                       f"{'starting ' + str(workers) + ' worker(s)' if workers else 'using running workers'}",
                       err=True)
            run, outcome = run_replay(bootstrap, items, Options(rate=rate, timeout=timeout, progress=bar),
                                      workers=workers, on_ready=restart)
        except user_errors() as exc:
            fail(str(exc))
    rep = report(run)
    click.echo(table(run, rep))
    if report_path:
        with open(report_path, "wb") as fh:
            fh.write(orjson.dumps(rep, option=orjson.OPT_INDENT_2) + b"\n")
    if plot_path:
        plot(run, plot_path)
    if run.missing:
        lost = sorted(outcome.missing({i for i in run.produced_at}))[:5]
        click.echo(f"wirestream: {run.missing} article(s) did not come out within {timeout:g}s "
                   f"after the last send (e.g. {', '.join(lost) or 'id-less input'})", err=True)
        sys.exit(1)


def _broker(given: str | None, stack: contextlib.ExitStack) -> str:
    if given:
        return resolve_broker(given)
    already = LocalKafka().bootstrap()
    if already:
        return already
    bootstrap = LocalKafka().start()
    stack.callback(LocalKafka().stop)
    click.echo(f"started a local Kafka broker at {bootstrap} (stopped at the end)", err=True)
    return bootstrap


@contextlib.contextmanager
def _progress_bar(total: int):
    """A tqdm bar on stderr (only on a terminal), fed (outcomes, sent) by the replay; restarted once the
    workers are warm, so its rate is the measured one."""
    from tqdm import tqdm

    with tqdm(total=total, unit="art", desc="out", file=sys.stderr, disable=None, smoothing=0.1) as bar:
        def update(done: int, sent: int) -> None:
            bar.update(done - bar.n)
            bar.set_postfix(sent=sent, refresh=False)

        yield update, bar.reset
