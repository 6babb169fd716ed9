"""Runtime settings, read from the environment once (flags of the CLI set the same variables)."""

import os
from dataclasses import dataclass
from pathlib import Path


def home() -> Path:
    """Where wirestream keeps its state (broker data, jars, Faust data): $WIRESTREAM_HOME."""
    value = os.environ.get("WIRESTREAM_HOME")
    return (Path(value).expanduser() if value else Path.home() / ".wirestream").absolute()


@dataclass(frozen=True)
class Settings:
    app_id: str
    topic_prefix: str
    partitions: int
    guarantee: str
    batch_size: int
    batch_within: float

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            app_id=os.environ.get("WIRESTREAM_APP_ID", "wirestream"),
            topic_prefix=os.environ.get("WIRESTREAM_TOPIC_PREFIX", "wirestream."),
            partitions=int(os.environ.get("WIRESTREAM_PARTITIONS", "4")),
            # Exactly-once is the default: an accepted article must come out once, not twice.
            guarantee=os.environ.get("WIRESTREAM_GUARANTEE", "exactly_once"),
            # Small batches: spaCy memory grows ~8.5 MB per in-flight article.
            batch_size=int(os.environ.get("WIRESTREAM_BATCH_SIZE", "8")),
            batch_within=float(os.environ.get("WIRESTREAM_BATCH_WITHIN", "0.05")),
        )


def topic_name(short: str, prefix: str | None = None) -> str:
    """Full topic name for ``enriched``, ``articles.enriched`` or an already prefixed name."""
    prefix = Settings.from_env().topic_prefix if prefix is None else prefix
    if short.startswith(prefix):
        return short
    return prefix + (short if short.startswith("articles.") else f"articles.{short}")
