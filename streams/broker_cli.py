"""`wirestream broker start|stop|status`: the local single-node Kafka broker (see streams/broker.py)."""

from __future__ import annotations

import sys

import click

from streams import broker as _broker

EXIT_STOPPED = 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group("broker")
def broker() -> None:
    """Run a local single-node Apache Kafka broker (KRaft, no Docker) for development and tests.

    State lives in $WIRESTREAM_HOME (default ~/.wirestream): jars in kafka/, data and broker.log in broker/.
    """


@broker.command("start")
@click.option("--timeout", type=float, default=_broker.START_TIMEOUT, show_default=True,
              help="Seconds to wait for the broker to answer a metadata request.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, envvar="WIRESTREAM_BROKER_PORT",
              help="Broker port [default: previous port, else 9092, else a free port; "
                   "env WIRESTREAM_BROKER_PORT].")
def start_cmd(timeout: float, port: int | None) -> None:
    """Start the broker (idempotent) and print its bootstrap address host:port."""
    try:
        bootstrap = _broker.start(timeout, port=port, echo=_progress)
    except _broker.BrokerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(bootstrap)


@broker.command("stop")
@click.option("--timeout", type=float, default=_broker.STOP_TIMEOUT, show_default=True,
              help="Seconds to wait for a clean shutdown before SIGKILL.")
def stop_cmd(timeout: float) -> None:
    """Stop the broker (idempotent); topics and data are kept."""
    try:
        pid = _broker.stop(timeout)
    except _broker.BrokerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"stopped (pid {pid})" if pid else "not running")


@broker.command("status")
def status_cmd() -> None:
    """Print running/stopped; exit 0 if running, 3 if stopped."""
    state = _broker.status()
    if not state:
        click.echo("stopped")
        sys.exit(EXIT_STOPPED)
    parts = [f"pid={state.get('pid')}", f"bootstrap={state.get('bootstrap')}"]
    for key in ("version", "started_at", "log"):
        if state.get(key):
            parts.append(f"{key}={state[key]}")
    click.echo("running " + " ".join(parts))
