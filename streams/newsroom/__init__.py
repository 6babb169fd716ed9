"""The newsroom page: trending entities, the latest enriched articles and pipeline health at ``/``, one
article with its entities and quotes marked at ``/articles/<id>``, and the JSON behind them.

Served by every worker's web server (streams/worker/web.py registers :func:`views.routes` over the
worker's own state) and by ``wirestream web --url ...`` over several workers (streams/cli/web.py, a
:class:`merge.Workers` source that asks each and merges the answers). page.py renders the article page
(spaCy's displaCy for the entity markup, everything else escaped here); static/ holds the page's HTML,
CSS and JavaScript (no CDN, no web fonts: the charts are SVG drawn by static/page.js).
Imports neither Faust nor the worker.
"""
