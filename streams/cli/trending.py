"""``wirestream trending``: the trending entities of one or more workers, as a table."""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import click

from streams.newsroom.merge import merge_trending as merge
from streams.settings import get_settings

__all__ = ["fetch", "merge", "render", "trending"]


def fetch(url: str, kind: str, limit: int) -> dict:
    query = urllib.parse.urlencode({"window": "1h", "kind": kind, "limit": limit})
    token = get_settings().web_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{url.rstrip('/')}/trending?{query}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def render(entities: list[dict]) -> str:
    header = f"{'#':>3}  {'entity':<36} {'label':<8} {'mentions':>8} {'articles':>8} {'sentiment':>9}"
    lines = [header, "-" * len(header)]
    for i, e in enumerate(entities, 1):
        lines.append(f"{i:>3}  {e['name'][:36]:<36} {e['label']:<8} {e['mentions']:>8} {e['articles']:>8}"
                     f" {e['mean_sentiment']:>+9.3f}")
    return "\n".join(lines)


@click.command()
@click.option("--url", "urls", multiple=True,
              help="A worker's web server (repeat for several workers); default "
                   "http://127.0.0.1:$WIRESTREAM_WEB_PORT.")
@click.option("--window", type=click.Choice(["1h"]), default="1h", show_default=True)
@click.option("--kind", type=click.Choice(["hopping", "tumbling"]), default="hopping", show_default=True,
              help="hopping: the last hour (5-minute steps); tumbling: this clock hour.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def trending(urls, window, kind, limit, as_json):
    """Most mentioned entities (and their mean sentiment) in the current window."""
    port = get_settings().web_port
    urls = urls or ([f"http://127.0.0.1:{port}"] if port else [])
    if not urls:
        click.echo("wirestream: pass --url http://host:port of a worker started with WIRESTREAM_WEB_PORT",
                   err=True)
        sys.exit(1)
    try:
        answers = [fetch(url, kind, limit) for url in urls]
    except (urllib.error.URLError, OSError) as exc:
        click.echo(f"wirestream: cannot reach a worker's web server: {exc}", err=True)
        sys.exit(1)
    entities = merge(answers, limit)
    if as_json:
        click.echo(json.dumps({"window": window, "kind": kind, "entities": entities}))
    else:
        click.echo(render(entities))
