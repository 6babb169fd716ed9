"""What several test folders share besides fixtures: paths, and helpers for real workers (faults.py,
webworker.py) and the BBC corpus (bbc.py). Fixtures are in tests/conftest.py."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Our own sample inputs and schemas fixtures (written for these tests, no third-party feeds).
DATA = REPO / "tests" / "data"
SEED = REPO / "seeds" / "000_fff007b84d78eb8b.txt"


def seed_body() -> str:
    """The seed article's body (seed format: headline line, blank line, body paragraphs)."""
    return SEED.read_text(encoding="utf-8").split("\n", 2)[2].strip()
