"""Where the brokers are: ``kafka://host:port[,host:port]`` addresses, and the one a command should use."""

from __future__ import annotations

from streams.client.errors import AddressError, NoBrokerError
from streams.settings import get_settings

DEFAULT_PORT = 9092
NO_BROKER_MESSAGE = (
    "no Kafka broker: pass --broker kafka://host:port, set WIRESTREAM_BROKER, "
    "or run `wirestream broker start`"
)


def parse_broker_url(value: str) -> str:
    """``kafka://host:port[,host:port]`` (or bare ``host:port[,...]``) -> aiokafka bootstrap string.

    A missing port means 9092; each comma-separated entry may repeat the ``kafka://`` scheme; IPv6 hosts
    go in brackets (``kafka://[::1]:9092``).
    """
    text = (value or "").strip()
    if not text:
        raise AddressError("empty broker address: use kafka://host:port")
    out = []
    for raw in text.split(","):
        entry = raw.strip()
        scheme, sep, rest = entry.partition("://")
        if sep:
            if scheme.lower() != "kafka":
                raise AddressError(f"unsupported broker URL scheme {scheme!r} in {value!r}: use kafka://host:port")
            entry = rest
        entry = entry.rstrip("/")
        if not entry or "/" in entry or "@" in entry or "?" in entry:
            raise AddressError(f"invalid broker address {value!r}: use kafka://host:port[,host:port]")
        if entry.startswith("["):
            host, bracket, tail = entry.partition("]")
            if not bracket or (tail and not tail.startswith(":")):
                raise AddressError(f"invalid broker address {value!r}: write IPv6 hosts as kafka://[::1]:9092")
            host, port_text = host + "]", tail[1:]
        else:
            host, _, port_text = entry.partition(":")
            if ":" in port_text:
                raise AddressError(f"invalid broker address {value!r}: write IPv6 hosts as kafka://[::1]:9092")
        if not host or host == "[]":
            raise AddressError(f"invalid broker address {value!r}: missing host; use kafka://host:port")
        if not port_text:
            port = DEFAULT_PORT
        else:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise AddressError(f"invalid port {port_text!r} in broker address {value!r}: use 1-65535")
            port = int(port_text)
        out.append(f"{host}:{port}")
    return ",".join(out)


def resolve_broker(value: str | None = None) -> str:
    """Bootstrap string for ``value`` (a --broker value), else ``$WIRESTREAM_BROKER``, else the running
    local broker; NoBrokerError when there is none."""
    value = value if value and value.strip() else get_settings().broker
    if value and value.strip():
        return parse_broker_url(value)
    from streams.localkafka import local_bootstrap

    bootstrap = local_bootstrap()
    if bootstrap:
        return bootstrap
    raise NoBrokerError(NO_BROKER_MESSAGE)
