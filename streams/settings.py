"""Every ``WIRESTREAM_*`` variable in one place: its default and meaning (:data:`VARIABLES`), parsed into one
typed :class:`Settings` by :func:`get_settings`.

The CLI's flags only export these variables, so a worker started by the CLI sees the same settings. The
README's settings table is checked against :data:`VARIABLES` (tests/streams/test_settings.py).
Nothing here imports the rest of wirestream: every layer may read settings.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path


class SettingsError(ValueError):
    """A variable holds a value wirestream cannot use (the message names the variable)."""


@dataclass(frozen=True)
class Variable:
    field: str
    default: str | None
    meaning: str

    @property
    def name(self) -> str:
        return "WIRESTREAM_" + self.field.upper()


VARIABLES: tuple[Variable, ...] = (
    # Where things are
    Variable("broker", None, "bootstrap servers, `kafka://host:port[,host:port]`; unset: the local broker"),
    Variable("home", "~/.wirestream", "state: local broker data, jars, Faust data, logs"),
    Variable("kafka_cache", None, "where the broker jars are kept (default `$WIRESTREAM_HOME/kafka`)"),
    Variable("shared", "../shared", "the shared gold data and scorer (tests, bench, training scripts)"),
    # The topology
    Variable("app_id", "wirestream", "Faust app id: consumer group, transactional ids, changelog names"),
    Variable("topic_prefix", "wirestream.", "prefix of every topic name"),
    Variable("partitions", "4", "partitions of every topic and table (workers beyond it sit idle)"),
    Variable("replication", "1", "replication factor of the topics the workers create"),
    Variable("guarantee", "exactly_once", "`exactly_once` or `at_least_once`"),
    # The worker
    Variable("profile", "fast",
             "NLP profile: `fast` (spaCy sm) or `accurate` (md-vector NER, MiniLM entity sentiment)"),
    Variable("ner", None, "which CoNLL-tuned NER: `sm` or `md` (en_core_web_md vectors); unset: `md` in the "
             "accurate profile, `sm` in the fast one"),
    Variable("batch_size", "16", "articles the validate agent takes and sends in one step"),
    Variable("batch_words", "3000", "words spaCy parses at once (memory grows ~20 KB per word): a batch "
             "of long articles is parsed in runs"),
    Variable("parse_process", "1", "`1`: spaCy parses, and the stages run, in a child process of the worker, "
             "beside the event loop on another core; `0`: in a thread of the worker, sharing its GIL"),
    Variable("batch_within", "0.01", "seconds the validate agent waits to fill a batch (under load it "
             "fills at once)"),
    Variable("commit_interval", "0.1", "seconds between Faust commits (latency: each hop waits for one)"),
    Variable("commit_quiet", "0.005", "seconds without a processing step after which the worker commits at "
             "once instead of waiting for the interval (0: the interval only)"),
    Variable("producer_linger", "0.005", "seconds the producer batches table changelog records"),
    Variable("stream_buffer", "256", "messages buffered per partition before Faust pauses fetching"),
    Variable("session_timeout", "60", "seconds before a silent worker's partitions move to another"),
    Variable("quote_min_confidence", "0.3", "quotes under this confidence are not emitted (0..1)"),
    Variable("ort_threads", "1", "onnxruntime threads for the accurate profile's encoder"),
    Variable("web_port", None, "port of the worker's HTTP views (/health, /metrics, /trending, /articles)"),
    Variable("web_host", "127.0.0.1", "address the HTTP views listen on"),
    Variable("ingest_token", None, "Bearer token that POST /articles requires (unset: nobody may post)"),
    Variable("ingest_max_bytes", "2097152", "largest POST /articles body"),
    Variable("web_token", None, "token the read-only views need (the newsroom page, JSON, /trending, "
             "/metrics; not /health) as `Authorization: Bearer` or `?token=` (unset: open)"),
    # The local broker
    Variable("broker_port", None, "port of the local broker (default 9092, else a free one)"),
    Variable("kafka_version", "4.1.1", "Kafka version the local broker runs (3.9.x is the fallback)"),
    Variable("broker_jvm_opts", None, "extra JVM options for the local broker"),
    Variable("broker_fast_start", "1", "`0` turns off the local broker's class-data-sharing archive"),
    # Client security (streams/client/security.py parses and checks them)
    Variable("security_protocol", None, "`PLAINTEXT` (default), `SSL`, `SASL_SSL`, `SASL_PLAINTEXT`"),
    Variable("sasl_mechanism", None, "`SCRAM-SHA-512` (default), `SCRAM-SHA-256`, `PLAIN`"),
    Variable("sasl_username", None, "SASL user (alone, it implies `SASL_SSL`)"),
    Variable("sasl_password", None, "the SASL password itself (prefer the file)"),
    Variable("sasl_password_file", None, "file holding the SASL password (first line)"),
    Variable("ssl_cafile", None, "PEM CA of the broker certificate (default: system CAs)"),
)
BY_NAME = {v.name: v for v in VARIABLES}


def _path(value: str) -> Path:
    return Path(value).expanduser().absolute()


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    broker: str | None
    home: Path
    kafka_cache: Path | None
    shared: Path
    app_id: str
    topic_prefix: str
    partitions: int
    replication: int
    guarantee: str
    profile: str
    ner: str | None
    batch_size: int
    batch_words: int
    parse_process: bool
    batch_within: float
    commit_interval: float
    commit_quiet: float
    producer_linger: float
    stream_buffer: int
    session_timeout: float
    quote_min_confidence: float
    ort_threads: int
    web_port: int | None
    web_host: str
    ingest_token: str | None
    ingest_max_bytes: int
    web_token: str | None
    broker_port: int | None
    kafka_version: str
    broker_jvm_opts: str | None
    broker_fast_start: bool
    security_protocol: str | None
    sasl_mechanism: str | None
    sasl_username: str | None
    sasl_password: str | None
    sasl_password_file: str | None
    ssl_cafile: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        types = {f.name: f.type for f in fields(cls)}
        values = {}
        for var in VARIABLES:
            raw = env.get(var.name)
            raw = raw.strip() if raw and raw.strip() else None
            values[var.field] = _parse(var, raw if raw is not None else var.default, types[var.field])
        return cls(**values)

    @property
    def security_env(self) -> dict[str, str]:
        """The security variables that are set, by name (what streams/client/security.py parses)."""
        names = ("security_protocol", "sasl_mechanism", "sasl_username", "sasl_password",
                 "sasl_password_file", "ssl_cafile")
        return {"WIRESTREAM_" + n.upper(): getattr(self, n) for n in names if getattr(self, n) is not None}


_PARSERS: dict[str, Callable[[str], object]] = {"int": int, "float": float, "Path": _path, "bool": _flag}


def _parse(var: Variable, value: str | None, annotation: str):
    if value is None:
        return None
    if var.field == "shared" and value == var.default:
        return Path(__file__).resolve().parents[2] / "shared"  # beside the repository, never inside it
    kind = annotation.split("|")[0].strip()
    try:
        return _PARSERS.get(kind, str)(value)
    except ValueError:
        raise SettingsError(f"{var.name}={value!r} is not a valid {kind}: {var.meaning}") from None


def get_settings() -> Settings:
    """The settings of the current environment, parsed once per distinct set of ``WIRESTREAM_*`` values
    (tests and the CLI's flags change the environment; nothing else does)."""
    return _cached(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("WIRESTREAM_"))))


@functools.lru_cache(maxsize=16)
def _cached(items: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(items))


def home() -> Path:
    """Where wirestream keeps its state (broker data, jars, Faust data): $WIRESTREAM_HOME."""
    return get_settings().home


def topic_name(short: str, prefix: str | None = None) -> str:
    """Full topic name for ``enriched``, ``articles.enriched`` or an already prefixed name."""
    prefix = get_settings().topic_prefix if prefix is None else prefix
    if short.startswith(prefix):
        return short
    return prefix + (short if short.startswith("articles.") else f"articles.{short}")
