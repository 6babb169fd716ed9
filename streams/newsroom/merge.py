"""Several workers as one newsroom source: ask each worker's JSON views and merge the answers.

Each worker holds other partitions, so answers add up: trending rows are summed per entity (as
``wirestream trending`` does), the latest articles are interleaved by time, health lists every worker
(an unreachable one shows as such) and sums rates and dead letters, and an article is taken from the
first worker that holds it.
"""

from __future__ import annotations

import asyncio
import urllib.parse

from agents.enrichment.trending import top


def merge_trending(answers: list[dict], limit: int) -> list[dict]:
    """Add up the /trending answers of several workers (each holds other partitions)."""
    rows = [((e["label"], e["name"]), [e["mentions"], e["articles"], e["mean_sentiment"] * e["articles"]])
            for answer in answers for e in answer["entities"]]
    return top(rows, limit)


def merge_latest(answers: list[dict], limit: int) -> dict:
    articles = [a for answer in answers for a in answer.get("articles", ())]
    articles.sort(key=lambda a: a.get("enriched_at") or "", reverse=True)
    partitions = sorted({p for answer in answers for p in answer.get("partitions", ())})
    return {"partitions": partitions, "articles": articles[:limit]}


def merge_health(answers: list[dict]) -> dict:
    """One health answer from several: every worker listed, rates and dead letters summed."""
    workers = [w for answer in answers for w in answer.get("workers", ())]
    steps = {answer["rate"]["step"] for answer in answers if answer.get("rate")}
    totals: dict[int, int] = {}
    for answer in answers:
        for start, count in (answer.get("rate") or {}).get("series", ()):
            totals[start] = totals.get(start, 0) + count
    dead: dict[str, int] = {}
    for answer in answers:
        for reason, count in (answer.get("deadletters") or {}).items():
            dead[reason] = dead.get(reason, 0) + count
    # Buckets start at multiples of the step on every worker: the same start is the same 10 s.
    length = max((len((a.get("rate") or {}).get("series", ())) for a in answers), default=0)
    starts = sorted(totals)[-length:] if length else []
    return {"workers": workers, "rate": {"step": min(steps) if steps else 10,
                                         "series": [[s, totals[s]] for s in starts]},
            "deadletters": dict(sorted(dead.items(), key=lambda kv: -kv[1]))}


class Workers:
    """The newsroom source over workers' web servers (``urls``), sending ``token`` if given."""

    def __init__(self, urls: list[str], token: str | None = None, timeout: float = 10) -> None:
        self.urls = [u.rstrip("/") for u in urls]
        self.token = token
        self.timeout = timeout
        self._session = None

    async def session(self):
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, url: str, path: str):
        """(status, JSON) of one worker's answer; (None, error text) when it cannot be reached."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        session = await self.session()
        try:
            async with session.get(url + path, headers=headers) as resp:
                return resp.status, await resp.json(content_type=None)
        except (TimeoutError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

    async def _all(self, path: str):
        return await asyncio.gather(*(self._get(url, path) for url in self.urls))

    async def trending(self, kind: str, limit: int) -> dict:
        query = urllib.parse.urlencode({"window": "1h", "kind": kind, "limit": limit})
        answers = [body for status, body in await self._all(f"/trending?{query}") if status == 200]
        partitions = sorted({p for a in answers for p in a.get("partitions", ())})
        return {"window": "1h", "kind": kind, "partitions": partitions,
                "entities": merge_trending(answers, limit)}

    async def latest(self, limit: int) -> dict:
        answers = [body for status, body in await self._all(f"/api/articles?limit={limit}") if status == 200]
        return merge_latest(answers, limit)

    async def article(self, article_id: str) -> dict | None:
        path = "/api/articles/" + urllib.parse.quote(article_id, safe="")
        for status, body in await self._all(path):
            if status == 200:
                return body
        return None

    async def health(self) -> dict:
        answers = []
        for url, (status, body) in zip(self.urls, await self._all("/api/health"), strict=True):
            if status == 200:
                for worker in body.get("workers", ()):
                    worker["url"] = url
                answers.append(body)
            else:
                error = body if status is None else f"HTTP {status}"
                answers.append({"workers": [{"url": url, "status": "unreachable", "error": error,
                                             "partitions": [], "lag": []}]})
        return merge_health(answers)
