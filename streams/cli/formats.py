"""``wirestream formats``: the input formats wirestream detects, in detection order (the registry in
schemas/formats/registry.py), with the rule that recognises each and an example file."""

from __future__ import annotations

import click


def render() -> str:
    from schemas.formats.registry import FORMATS  # loaded when the command runs

    rows = [("format", "detected by", "example")] + [(f.name, f.rule, f.example) for f in FORMATS]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


@click.command()
def formats():
    """List the input formats, in detection order: name, how each is detected, an example file."""
    click.echo(render())
