"""The newsroom page over real HTTP against a running worker on the real broker: every view, escaping,
404s, ``wirestream web`` over workers with a token, and the page in headless Chromium."""

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

import orjson
import pytest

from schemas.formats import parse_raw
from streams.client.accounting import collect
from streams.client.io import Reader, produce
from tests.support import SEED
from tests.support.browser import dump_dom, screenshot
from tests.support.webworker import WebWorker, free_port

pytestmark = pytest.mark.broker
SEED_ID = parse_raw(SEED.read_bytes()).id
HOSTILE = {"id": "hostile<1>", "headline": "<img src=x onerror=alert(1)> Headline",
           "body_text": "Angela Merkel wrote <script>alert('x')</script> in Berlin. "
                        "\"It is </mark><b>fine</b>,\" Merkel said."}


@pytest.fixture(scope="module")
def web(bootstrap, tmp_path_factory):
    """A worker with the seed, a hostile article and a dead letter already through the pipeline."""
    worker = WebWorker(bootstrap, tmp_path_factory.mktemp("newsroom") / "worker.log").start()

    async def go():
        async with Reader(bootstrap, [worker.topic("enriched"), worker.topic("deadletter")],
                          start="latest") as reader:
            await produce(bootstrap, worker.topic("raw"), [(None, SEED.read_bytes()), (None, b"{not json")])
            assert worker.post(orjson.dumps(HOSTILE))[0] == 202
            return await collect(reader, {SEED_ID, HOSTILE["id"]}, timeout=180, anonymous=1, settle=1.0,
                                 prefix=worker.prefix)

    worker.out = asyncio.run(go())
    assert {SEED_ID, HOSTILE["id"]} <= worker.out.enriched.keys(), worker.proc.log_tail()
    yield worker
    worker.stop()


def text_of(web, path, headers=None):
    status, body, hdrs = web.get(path, headers)
    return status, body.decode(), hdrs


def test_index_page_is_shipped_html_with_its_own_scripts_only(web):
    status, html, headers = text_of(web, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert 'id="trending"' in html and 'id="latest"' in html and 'id="health"' in html
    assert re.findall(r'<script[^>]*src="([^"]+)"', html) == ["/static/page.js"]
    for name, kind in (("page.js", "text/javascript"), ("page.css", "text/css")):
        status, body, headers = web.get(f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind) and len(body) > 1000
    assert web.get("/static/nope.js")[0] == 404
    assert web.get("/static/..%2F..%2Fsettings.py")[0] == 404


def test_latest_articles_json(web):
    status, body = web.get_json("/api/articles?limit=50")
    assert status == 200 and body["partitions"]
    by_id = {a["id"]: a for a in body["articles"]}
    seed = by_id[SEED_ID]
    enriched = web.out.enriched[SEED_ID]
    assert seed["headline"] == "Ukraine pleads for rapid NATO entry with Russia on its doorstep"
    assert seed["language"] == "en" and seed["enriched_at"] == enriched["enriched_at"]
    assert seed["entities"] == len(enriched["entities"]) >= 10 and seed["quotes"] == len(enriched["quotes"])
    stamps = [a["enriched_at"] for a in body["articles"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(web.get_json("/api/articles?limit=1")[1]["articles"]) == 1
    assert web.get_json("/api/articles?limit=0")[0] == 400


def test_one_article_json_and_missing_ids(web):
    status, record = web.get_json("/api/articles/" + SEED_ID)
    assert status == 200 and record == web.out.enriched[SEED_ID]
    status, body = web.get_json("/api/articles/" + urllib.parse.quote(HOSTILE["id"], safe=""))
    assert status == 200 and body["body_text"] == HOSTILE["body_text"]
    status, body = web.get_json("/api/articles/no-such-article")
    assert status == 404 and body == {"error": "not_found", "id": "no-such-article"}
    status, html, _ = text_of(web, "/articles/no-such-article")
    assert status == 404 and "No article <code>no-such-article</code>" in html


def test_article_page_marks_entities_and_kirbys_quotes(web):
    status, html, headers = text_of(web, "/articles/" + SEED_ID)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert re.search(r'<mark class="entity"[^>]*>\s*John Kirby\s*<span[^>]*>PERSON</span>', html)
    kirby = re.findall(r'<li class="quote direct" data-speaker="John Kirby">', html)
    assert len(kirby) == 3, html
    assert "We’re being honest that we’re not quite sure" in html
    assert '<span class="cue">' in html
    assert re.search(r'<tr class="place"><td>Ukraine</td><td>GPE</td><td>UA</td>', html)
    assert re.search(r'<tr class="entity-row" data-label="PERSON"><td>John Kirby</td>', html)
    assert html.count('<li class="sentence ') == len(web.out.enriched[SEED_ID]["sentiment"]["sentences"])
    assert f'href="/api/articles/{SEED_ID}"' in html


def test_article_text_renders_as_text_not_markup(web):
    status, html, _ = text_of(web, "/articles/" + urllib.parse.quote(HOSTILE["id"], safe=""))
    assert status == 200
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>fine</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html  # displaCy's escaping of the text
    assert "&lt;img src=x onerror=alert(1)&gt; Headline" in html
    assert "&lt;/mark&gt;&lt;b&gt;fine&lt;/b&gt;" in html
    assert re.search(r'<mark class="entity"[^>]*>\s*Angela Merkel\s*<span[^>]*>PERSON</span>', html)
    assert len(re.findall(r"<script", html)) == 0  # the article page runs no script at all


def test_health_json(web):
    status, body = web.get_json("/api/health")
    assert status == 200
    (worker,) = body["workers"]
    assert worker["status"] == "ready" and worker["partitions"]
    topics = {row["topic"] for row in worker["lag"]}
    assert web.topic("raw") in topics and web.topic("enriched") in topics
    assert all(row["lag"] >= 0 and isinstance(row["partition"], int) for row in worker["lag"])
    assert worker["window"]["records"] >= 2 and worker["window"]["per_partition"] == 200
    assert body["rate"]["step"] == 10 and len(body["rate"]["series"]) == 60
    assert sum(n for _, n in body["rate"]["series"]) >= 2
    assert body["deadletters"]["invalid_json"] >= 1


class Front(WebWorker):
    """The HTTP helpers of WebWorker against ``wirestream web`` (no worker of its own)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token


@pytest.fixture(scope="module")
def newsroom(web, tmp_path_factory):
    """``wirestream web`` over the worker and a worker that is not there, behind a token."""
    port, token = free_port(), "newsroom-token"
    log = open(tmp_path_factory.mktemp("newsroom-cli") / "web.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "web", "--port", str(port),
                             "--url", f"http://127.0.0.1:{web.port}", "--url", f"http://127.0.0.1:{free_port()}"],
                            env={**os.environ, "WIRESTREAM_WEB_TOKEN": token},
                            stdout=log, stderr=subprocess.STDOUT)
    front = Front(port, token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "wirestream web exited"
        try:
            if front.get("/static/page.css")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.5)
    yield front
    proc.terminate()
    proc.wait(30)
    log.close()


def test_cli_web_needs_the_token_when_set_and_merges_workers(web, newsroom):
    bearer = {"Authorization": f"Bearer {newsroom.token}"}
    for path in ("/", "/api/articles", "/api/health", "/trending", f"/articles/{SEED_ID}",
                 f"/api/articles/{SEED_ID}"):
        assert newsroom.get(path)[0] == 401, path
        assert newsroom.get(path, {"Authorization": "Bearer wrong"})[0] == 401, path
        assert newsroom.get(path, bearer)[0] == 200, path
    assert newsroom.get("/static/page.js")[0] == 200  # the page's code is not secret

    status, body, headers = newsroom.get(f"/?token={newsroom.token}")
    assert status == 200 and "wirestream_web_token=newsroom-token" in headers["Set-Cookie"]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    assert newsroom.get("/api/articles", {"Cookie": f"wirestream_web_token={newsroom.token}"})[0] == 200

    health = json.loads(newsroom.get("/api/health", bearer)[1])
    assert [w["status"] for w in health["workers"]] == ["ready", "unreachable"]
    assert health["workers"][0]["url"] == f"http://127.0.0.1:{web.port}"
    assert health["deadletters"]["invalid_json"] >= 1
    trending = json.loads(newsroom.get("/trending?limit=50", bearer)[1])
    direct = web.get_json("/trending?limit=50")[1]
    assert trending["entities"] == direct["entities"] and trending["partitions"] == direct["partitions"]
    latest = json.loads(newsroom.get("/api/articles", bearer)[1])
    assert SEED_ID in {a["id"] for a in latest["articles"]}
    status, html, _ = newsroom.get(f"/articles/{SEED_ID}", bearer)
    assert status == 200 and len(re.findall(rb'data-speaker="John Kirby"', html)) >= 3
    assert newsroom.get("/articles/no-such-article", bearer)[0] == 404
    assert newsroom.get("/api/articles/no-such-article", bearer)[0] == 404
    assert newsroom.get("/trending?window=5m", bearer)[0] == 400


def test_pages_in_headless_chromium(web, tmp_path):
    """The page as a browser shows it, once its scripts ran: trends, latest articles, health; then the
    seed's article page (and a screenshot of each, as in the README)."""
    base = f"http://127.0.0.1:{web.port}"
    dom = dump_dom(base + "/", tmp_path / "profile")
    trending = re.search(r'<ol id="trending">(.*?)</ol>', dom, re.S).group(1)
    names = re.findall(r'<li data-name="([^"]+)" data-label="([^"]+)"', trending)
    assert ("Ukraine", "GPE") in names and ("John Kirby", "PERSON") in names, trending[:2000]
    latest = re.search(r'<table id="latest">(.*?)</table>', dom, re.S).group(1)
    assert f'<tr class="article" data-id="{SEED_ID}">' in latest
    assert "Ukraine pleads for rapid NATO entry with Russia on its doorstep</a>" in latest
    assert '<img src="x"' not in dom and "&lt;img src=x onerror=alert(1)&gt; Headline" in latest
    raw_lag = re.search(rf'<tr class="lag" data-topic="{re.escape(web.topic("raw"))}"><td>this worker</td>'
                        r'<td>raw</td>((?:<td class="num[^"]*" title="[^"]*">\d*</td>)+)</tr>', dom)
    partitions = web.get_json("/api/health")[1]["workers"][0]["partitions"]
    assert raw_lag and raw_lag.group(1).count("<td") == len(partitions), dom
    assert re.search(r'<tr class="deadletter"><td>invalid_json</td><td class="num">\d+</td></tr>', dom)
    assert re.search(r'<svg id="rate"[^>]*>(<rect [^>]*>.*?</rect>){60}</svg>', dom, re.S)

    page = dump_dom(f"{base}/articles/{SEED_ID}", tmp_path / "profile")
    assert re.search(r'<mark class="entity"[^>]*>\s*John Kirby\s*<span[^>]*>PERSON</span>\s*</mark>', page)
    quotes = re.findall(r'<li class="quote direct" data-speaker="John Kirby">(.*?)</li>', page, re.S)
    assert len(quotes) == 3 and all('<span class="speaker">John Kirby</span>' in q for q in quotes)
    assert "“We’re being honest that we’re not quite sure,”" in quotes[0]

    hostile = dump_dom(f"{base}/articles/{urllib.parse.quote(HOSTILE['id'], safe='')}", tmp_path / "profile")
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in hostile and "<b>fine</b>" not in hostile

    screenshot(base + "/", tmp_path / "newsroom.png", tmp_path / "profile")
    screenshot(f"{base}/articles/{SEED_ID}", tmp_path / "article.png", tmp_path / "profile", size="1200,2400")


def test_worker_with_a_web_token(web):
    """Last in this module: restarts the worker with WIRESTREAM_WEB_TOKEN. Read-only views then need it,
    /health (probes) and the page's static code do not; the window starts empty after a restart."""
    web.proc.env["WIRESTREAM_WEB_TOKEN"] = token = "worker-web-token"
    web.restart()
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/", "/api/articles", "/api/health", "/trending", "/metrics", f"/articles/{SEED_ID}",
                 f"/api/articles/{SEED_ID}"):
        assert web.get(path)[0] == 401, path
        assert web.get(path, {"Authorization": "Bearer nope"})[0] == 401, path
    for path in ("/", "/api/articles", "/api/health", "/trending", "/metrics"):
        assert web.get(path, bearer)[0] == 200, path
    assert web.get(f"/api/articles/{SEED_ID}", bearer)[0] == 404  # the window is in memory only
    assert web.get("/health")[0] == 200 and web.get("/static/page.js")[0] == 200
    status, _, headers = web.get(f"/?token={token}")
    assert status == 200 and f"wirestream_web_token={token}" in headers["Set-Cookie"]
    assert web.get("/api/health", {"Cookie": f"wirestream_web_token={token}"})[0] == 200
    assert web.post(orjson.dumps({"id": "after-token", "body_text": "x"}))[0] == 202  # ingest: its own token
