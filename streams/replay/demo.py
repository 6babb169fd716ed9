"""``wirestream demo``: the main job, end to end, in one command."""

import asyncio
import contextlib
from pathlib import Path

import click

from schemas.errors import InvalidArticle
from schemas.formats import parse_raw
from schemas.formats.files import iter_payloads
from streams.client.accounting import collect
from streams.client.address import resolve_broker
from streams.client.io import Reader, ensure_topics, produce, raw_key
from streams.localkafka import LocalKafka
from streams.replay.errors import ReplayError
from streams.replay.workers import WorkerProcess, while_alive
from streams.settings import home, topic_name

QUOTE_MARKS = "“”\"' "
REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seeds_path(given: str | None) -> Path:
    for candidate in (given, REPO_SEEDS, Path.cwd() / "seeds"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise ReplayError(f"no seeds directory found at {given or REPO_SEEDS}: pass --seeds DIR")


def run_demo(broker: str | None, seeds_dir: str | None, timeout: float) -> int:
    seeds = seeds_path(seeds_dir)
    payloads = [p for _, p in iter_payloads([str(seeds)]) if not p.startswith(b"#")]
    ids = set()
    for payload in payloads:
        with contextlib.suppress(InvalidArticle):
            ids.add(parse_raw(payload).id)
    with contextlib.ExitStack() as stack:
        if broker:
            bootstrap = resolve_broker(broker)
        else:
            already = LocalKafka().bootstrap()
            bootstrap = already or LocalKafka().start()
            if not already:
                stack.callback(LocalKafka().stop)
            note = " (already running)" if already else ""
            click.echo(f"local Kafka broker at {bootstrap}{note}", err=True)
        asyncio.run(ensure_topics(bootstrap))
        worker = stack.enter_context(WorkerProcess(bootstrap, log_path=home() / "logs" / "demo-worker.log"))
        click.echo(f"worker started (log: {worker.log_path}); replaying {len(payloads)} article(s) "
                   f"from {seeds}", err=True)
        outcome = asyncio.run(_replay(bootstrap, payloads, ids, timeout, worker))
        for record in outcome.enriched.values():
            click.echo(summary(record))
        for record in outcome.deadletters.values():
            click.echo(f"dead letter {record.get('id')}: {record['reason']}: {record['detail']}")
        missing = outcome.missing(ids)
        if missing:
            click.echo(f"wirestream: {len(missing)} article(s) did not come out within {timeout:.0f}s; "
                       f"see {worker.log_path}\n{worker.log_tail()}", err=True)
            return 1
        click.echo(f"done: {len(outcome.enriched)} enriched, {len(outcome.deadletters)} dead-lettered; "
                   "stopping what the demo started", err=True)
        return 0


async def _replay(bootstrap, payloads, ids, timeout, worker):
    topics = [topic_name("enriched"), topic_name("deadletter")]
    async with Reader(bootstrap, topics, start="latest") as reader:
        await produce(bootstrap, topic_name("raw"), ((raw_key(p), p) for p in payloads))
        return await while_alive(collect(reader, ids, timeout=timeout), [worker])


def summary(rec: dict) -> str:
    """A readable digest of one enriched record."""
    lines = [click.style(f"■ {rec.get('headline') or '(no headline)'}", bold=True),
             f"  id {rec['id']} · {len(rec['body_text'].split())} words · sentiment "
             f"{rec['sentiment']['label']} ({rec['sentiment']['score']:+.2f})"]
    by_label: dict[str, list[str]] = {}
    for ent in rec["entities"]:
        by_label.setdefault(ent["label"], []).append(f"{ent['name']} ×{len(ent['mentions'])}")
    for label in ("PERSON", "ORG", "GPE", "NORP", "LOC"):
        if label in by_label:
            lines.append(f"  {label:<7}{', '.join(by_label[label])}")
    for q in rec["quotes"]:
        speaker = q["speaker"]
        who = (speaker.get("entity") or speaker["text"]) if speaker else "unattributed"
        text = q["content"]["text"].strip(QUOTE_MARKS)
        short = text if len(text) <= 90 else text[:90] + "…"
        confidence = f", confidence {q['confidence']:.2f}" if "confidence" in q else ""
        lines.append(f"  “{short}” — {who} ({q['type']}{confidence})")
    return "\n".join(lines)

