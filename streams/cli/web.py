"""``wirestream web --url URL...``: the newsroom page over several workers (each holds other partitions)."""

import sys

import click

from streams.settings import get_settings


def build(urls: list[str], token: str | None):
    """The aiohttp application serving the newsroom over the workers at ``urls``."""
    from aiohttp import web

    from streams.newsroom import views
    from streams.newsroom.merge import Workers

    source = Workers(list(urls), token=token)
    app = web.Application()

    def bind(handler):
        async def run(request):
            return await handler(request, **request.match_info)

        return run

    for path, handler in views.routes(source, token):
        app.router.add_get(path, bind(handler))

    async def close(_app):
        await source.close()

    app.on_cleanup.append(close)
    return app


@click.command()
@click.option("--url", "urls", multiple=True,
              help="A worker's web server (repeat for several workers); default "
                   "http://127.0.0.1:$WIRESTREAM_WEB_PORT.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8066, show_default=True)
def web(urls, host, port):
    """Serve the newsroom page (trends, latest articles, health) over one or more workers."""
    settings = get_settings()
    urls = urls or ([f"http://127.0.0.1:{settings.web_port}"] if settings.web_port else [])
    if not urls:
        click.echo("wirestream: pass --url http://host:port of a worker started with WIRESTREAM_WEB_PORT",
                   err=True)
        sys.exit(1)
    from aiohttp import web as aioweb

    click.echo(f"newsroom on http://{host}:{port}/ over {', '.join(urls)}", err=True)
    # The workers' token, if set, is both sent to them and asked of this page's visitors.
    aioweb.run_app(build(urls, settings.web_token), host=host, port=port, print=None)
