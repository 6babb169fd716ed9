"""CPU per event of Faust's two stream iterators (the compiled one and the pure-Python one that
streams/worker/faust_fixes/offsets.py makes every stream use), over ``Stream.events()`` as the agents
iterate, without a broker.

    .venv/bin/python bench/stream_iterator.py [--events 50000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import faust
from faust import streams
from faust.events import Event
from faust.types import Message


async def cpu_per_event(n: int) -> float:
    app = faust.App("bench-stream-iterator", broker="kafka://127.0.0.1:1")  # never connects
    app.flow_control.resume()
    events = [Event(app, b"k", b"v", {}, Message("parts", 0, offset, 0.0, 0, {}, b"k", b"v", None,
                                                  generation_id=app.consumer_generation_id))
              for offset in range(n)]

    async def source():
        for event in events:
            yield event

    seen, start = 0, time.process_time()
    async for _ in app.stream(source()).events():
        seen += 1
        if seen == n:
            break
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    compiled = streams._CStreamIterator
    for _ in range(args.rounds):
        for name, iterator in (("compiled", compiled), ("python", None)):
            streams._CStreamIterator = iterator
            print(f"{name:>8}: {asyncio.run(cpu_per_event(args.events)):.1f} µs CPU per event")


if __name__ == "__main__":
    main()
