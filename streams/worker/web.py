"""HTTP views on the worker's Faust web server (enabled by ``WIRESTREAM_WEB_PORT``).

* ``POST /articles``: one article (any accepted format) or a JSON array of articles, with
  ``Authorization: Bearer $WIRESTREAM_INGEST_TOKEN``; at most ``WIRESTREAM_INGEST_MAX_BYTES`` (2 MiB).
  Every article is checked like the validate agent would, then produced to ``articles.raw`` keyed by
  its id (acks=all, idempotent) before the 202 answer, so an accepted article is never lost.
* ``GET /metrics``: Prometheus text format (agents/metrics.py).
* ``GET /health``: 200 once the worker has joined its group and recovered its tables, else 503.
* ``GET /trending?window=1h&kind=hopping|tumbling&limit=20``: the most mentioned entities in the
  window on this worker's partitions, with their mean sentiment (agents/enrichment/trending.py).
* The newsroom page: ``/``, ``/articles/<id>``, ``/api/...`` (streams/newsroom/views.py, which also
  serves /trending) over this worker's window of recent records (agents/recent.py, fed by the outcomes
  agent) and trends.

With ``WIRESTREAM_WEB_TOKEN`` set, every read-only view but ``/health`` (liveness probes) needs it.

The ingest producer is a plain Kafka producer, not Faust's: Faust's transactional producers only write
within the transaction of a partition this worker consumes, and an HTTP request belongs to none.
:func:`register` puts the views on an app (streams/worker/app.py calls it).
"""

from __future__ import annotations

import hmac

import orjson
from aiohttp import web
from faust.web import Request, Response, View

from agents import metrics
from agents.enrichment.trending import Trending
from agents.recent import Recent
from schemas.errors import InvalidArticle
from schemas.formats import parse_many
from streams.client.address import parse_broker_url
from streams.newsroom import views
from streams.settings import Settings


def authorised(header: str | None, token: str | None) -> bool:
    """Constant-time Bearer token check; with no token configured nobody is authorised."""
    token = token or ""
    scheme, _, given = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                               token.encode())


def split_payload(body: bytes) -> tuple[list[tuple[bytes | None, bytes]], list[str]]:
    """((key, raw message) pairs, article ids) for a request body; raises InvalidArticle naming the bad item.

    A JSON array becomes one message per item, keyed by its id; anything else (one JSON article, NITF,
    a feed, plain text) is one message as a producer would send it, keyed by its id if it holds one.
    """
    found = parse_many(body)
    for i, item in enumerate(found):
        if isinstance(item, InvalidArticle):
            where = f"item {i}: " if len(found) > 1 else ""
            raise InvalidArticle(item.reason, f"{where}{item.detail}")
    ids = [a.id for a in found]
    if body.lstrip().startswith(b"["):
        items = orjson.loads(body)
        return [(a.id.encode(), orjson.dumps(item)) for item, a in zip(items, found, strict=True)], ids
    return [(ids[0].encode() if len(ids) == 1 else None, bytes(body))], ids


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is over ``limit`` bytes (without reading the rest)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def readiness(faust_app) -> tuple[bool, dict]:
    recovered = faust_app.tables.recovery.completed.is_set()
    state = {
        "started": bool(faust_app.started),
        "assigned": faust_app.rebalancing_count > 0 and not faust_app.rebalancing,
        "tables_recovered": recovered,
    }
    try:
        state["partitions"] = len(faust_app.consumer.assignment())
    except Exception:  # noqa: BLE001 - consumer not started yet
        state["partitions"] = 0
    return all(v for k, v in state.items() if k != "partitions"), state


class IngestProducer:
    """One plain producer per worker for POST /articles, opened on first use, closed on shutdown."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._producer = None

    async def producer(self):
        if self._producer is None:
            from streams.client.io import open_producer

            self._producer = await open_producer(self.bootstrap)
        return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


class WorkerSource:
    """The newsroom's data on one worker (and GET /trending's): its window of recent records, trends and
    consumer, limited to the partitions of the enriched topic it owns now."""

    def __init__(self, app, topics, trends: Trending, recent: Recent) -> None:
        self.app, self.topics, self.trends, self.recent = app, topics, trends, recent

    def partitions(self) -> list[int]:
        try:
            assigned = self.app.consumer.assignment()
        except Exception:  # noqa: BLE001 - consumer not started yet
            return []
        enriched = self.topics.enriched.get_topic_name()
        return sorted({tp.partition for tp in assigned if tp.topic == enriched})

    async def latest(self, limit: int) -> dict:
        partitions = self.partitions()
        return {"partitions": partitions, "articles": self.recent.latest(partitions, limit)}

    async def article(self, article_id: str) -> dict | None:
        return self.recent.get(article_id, self.partitions())

    async def trending(self, kind: str, limit: int) -> dict:
        partitions = self.partitions()
        return {"window": "1h", "kind": kind, "partitions": partitions,
                "entities": self.trends.snapshot(kind, limit, partitions)}

    async def health(self) -> dict:
        ready, state = readiness(self.app)
        worker = {"url": None, "status": "ready" if ready else "starting", **state,
                  "partitions": self.partitions(), "lag": await metrics.consumer_lag(self.app) or [],
                  "window": self.recent.memory()}
        return {"workers": [worker], "rate": self.recent.rate(), "deadletters": dict(self.recent.deadletters)}


def faust_view(handler):
    """A Faust view class whose GET is the aiohttp ``handler`` (Faust hands views aiohttp's request)."""
    class Page(View):
        async def get(self, request: Request, **kwargs) -> Response:
            return await handler(request, **kwargs)

    return Page


def register(app, topics, trends: Trending, settings: Settings, recent: Recent | None = None) -> None:
    """Put the views on ``app``: ingest into ``topics.raw``, metrics, health, ``trends`` on this worker,
    and the newsroom page over ``recent`` (the outcomes agent's window)."""
    ingest = IngestProducer(",".join(parse_broker_url(str(url)) for url in app.conf.broker))
    source = WorkerSource(app, topics, trends, recent or Recent())
    for path, handler in views.routes(source, settings.web_token):
        app.page(path, name=f"newsroom{path}")(faust_view(handler))

    @app.on_before_shutdown.connect
    async def _close_producer(sender, **kwargs) -> None:
        await ingest.close()

    @app.page("/articles")
    class Articles(View):
        async def post(self, request: Request) -> Response:
            if not authorised(request.headers.get("Authorization"), settings.ingest_token):
                return self.json({"error": "unauthorized", "detail": "send Authorization: Bearer <token>"},
                                 status=401, headers={"WWW-Authenticate": "Bearer"})
            body = await read_limited(request, settings.ingest_max_bytes)
            if body is None:
                detail = f"body over {settings.ingest_max_bytes} bytes"
                return self.json({"error": "payload_too_large", "detail": detail}, status=413)
            try:
                messages, ids = split_payload(body)
            except InvalidArticle as exc:
                return self.json({"error": exc.reason, "detail": exc.detail}, status=400)
            prod = await ingest.producer()
            topic = topics.raw.get_topic_name()
            futures = [await prod.send(topic, value=raw, key=key) for key, raw in messages]
            for fut in futures:
                await fut  # acknowledged by all in-sync replicas before we answer
            metrics.INGESTED.inc(len(ids))
            return self.json({"ids": ids}, status=202)

    async def prometheus(request: Request, **_) -> Response:
        await metrics.update_lag(app)
        # An aiohttp response: Faust's helpers cannot set the parameters of the exposition content type.
        return web.Response(body=metrics.exposition(), headers={"Content-Type": metrics.CONTENT_TYPE})

    app.page("/metrics", name="metrics")(faust_view(views.guard(settings.web_token, prometheus)))

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ready, state = readiness(self.app)
            return self.json({"status": "ready" if ready else "starting", **state},
                             status=200 if ready else 503)
