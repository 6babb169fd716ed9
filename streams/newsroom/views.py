"""The newsroom's HTTP views as plain aiohttp handlers over a *source* of data, so the worker (its own
window, streams/worker/web.py) and ``wirestream web`` (several workers, merge.py) serve the same page.

    GET /                     the page (static/index.html; static/page.js fills it from the JSON below)
    GET /static/<file>        the page's CSS and JavaScript
    GET /articles/<id>        one article, rendered (404 page if no worker asked holds it)
    GET /api/articles?limit=  the latest enriched records, summarised, newest first
    GET /api/articles/<id>    one enriched record as JSON (404 if absent)
    GET /api/health           per worker: status, partitions, consumer lag per partition; enriched
                              articles per 10 s over the last 10 minutes; dead letters by reason
    GET /trending?window=1h&kind=hopping|tumbling&limit=20   the most mentioned entities (README)

A source has ``latest(limit)``, ``article(id)``, ``health()`` and ``trending(kind, limit)`` coroutines.
With a token (WIRESTREAM_WEB_TOKEN) every view here needs it (see page.read_allowed); a valid
``?token=`` is kept in a cookie so the page's own requests carry it.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from agents.enrichment.trending import WINDOWS
from streams.newsroom import page

HTML = "text/html; charset=utf-8"


def _headers(content_type: str) -> dict:
    return {"Content-Type": content_type, "Content-Security-Policy": page.CSP,
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(body=text.encode(), status=status, headers=_headers(HTML))


def as_json(value, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(value), status=status, headers=_headers("application/json"))


def guard(token: str | None, handler, *, is_page: bool = False):
    """``handler`` behind the read token; on a page a valid ``?token=`` also sets the cookie."""
    async def run(request: web.Request, **kwargs) -> web.Response:
        given = page.token_given(request.headers, request.query, request.cookies)
        if not page.read_allowed(token, given):
            if is_page:
                return html(page.forbidden_page(), status=401)
            response = as_json({"error": "unauthorized",
                                "detail": "send the web token (Authorization: Bearer)"}, status=401)
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        response = await handler(request, **kwargs)
        if token and is_page and request.query.get("token"):
            response.set_cookie(page.COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response

    return run


def limit_of(request: web.Request, default: int = 50, most: int = 1000) -> int | None:
    try:
        value = int(request.query.get("limit", default))
    except ValueError:
        return None
    return value if 1 <= value <= most else None


def routes(source, token: str | None) -> list[tuple[str, object]]:
    """(path, handler) of every newsroom view; handlers take the request and the path's parameters."""

    async def index(request, **_):
        found = page.static_file("index.html")
        return html(found[0].decode())

    async def static(request, name: str = "", **_):
        found = page.static_file(name)
        if found is None:
            return as_json({"error": "not_found"}, status=404)
        body, content_type = found
        return web.Response(body=body, headers=_headers(content_type))

    async def article_page(request, id: str = "", **_):  # noqa: A002 - the route's parameter
        record = await source.article(id)
        if record is None:
            return html(page.not_found_page(id), status=404)
        return html(page.article_page(record))

    async def latest(request, **_):
        limit = limit_of(request)
        if limit is None:
            return as_json({"error": "bad_request", "detail": "limit=1..1000"}, status=400)
        return as_json(await source.latest(limit))

    async def article_json(request, id: str = "", **_):  # noqa: A002
        record = await source.article(id)
        if record is None:
            return as_json({"error": "not_found", "id": id}, status=404)
        return as_json(record)

    async def health(request, **_):
        return as_json(await source.health())

    async def trending(request, **_):
        kind, limit = request.query.get("kind", "hopping"), limit_of(request, default=20)
        if request.query.get("window", "1h") != "1h" or kind not in WINDOWS or limit is None:
            detail = "window=1h, kind=hopping|tumbling, limit=1..1000"
            return as_json({"error": "bad_request", "detail": detail}, status=400)
        return as_json(await source.trending(kind, limit))

    return [("/trending", guard(token, trending)), ("/", guard(token, index, is_page=True)),
            ("/static/{name}", static),  # the page's own code: nothing secret, so no token
            ("/articles/{id:.+}", guard(token, article_page, is_page=True)),
            ("/api/articles", guard(token, latest)),
            ("/api/articles/{id:.+}", guard(token, article_json)),
            ("/api/health", guard(token, health))]
