"""How wirestream's Kafka clients authenticate: TLS and SASL settings from the environment.

One parser for every client (the Faust app, the CLI's aiokafka producer/reader/admin), so a worker and the
CLI always agree. The CLI's flags (``wirestream --security-protocol ...``) set the same variables.

  WIRESTREAM_SECURITY_PROTOCOL    PLAINTEXT (default) | SSL | SASL_SSL | SASL_PLAINTEXT; SASL_SSL when unset
                                  and a SASL username is given
  WIRESTREAM_SASL_MECHANISM       SCRAM-SHA-512 (default) | SCRAM-SHA-256 | PLAIN
  WIRESTREAM_SASL_USERNAME        SASL user
  WIRESTREAM_SASL_PASSWORD        its password, or
  WIRESTREAM_SASL_PASSWORD_FILE   a file holding it (first line), which keeps it out of the environment
  WIRESTREAM_SSL_CAFILE           PEM CA bundle that signed the broker certificate (default: system CAs)

The password is never logged: ``repr``/``str`` of :class:`ClientSecurity` redact it, and error messages
name the variables, not their values.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from streams.client.address import parse_broker_url
from streams.client.errors import SecurityConfigError
from streams.settings import get_settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
DEFAULT_MECHANISM = "SCRAM-SHA-512"
ENV_VARS = ("WIRESTREAM_SECURITY_PROTOCOL", "WIRESTREAM_SASL_MECHANISM", "WIRESTREAM_SASL_USERNAME",
            "WIRESTREAM_SASL_PASSWORD", "WIRESTREAM_SASL_PASSWORD_FILE", "WIRESTREAM_SSL_CAFILE")


@dataclass(frozen=True)
class ClientSecurity:
    protocol: str = "PLAINTEXT"
    mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def __repr__(self) -> str:
        secret = "<redacted>" if self.password else None
        return (f"ClientSecurity(protocol={self.protocol!r}, mechanism={self.mechanism!r}, "
                f"username={self.username!r}, password={secret!r}, cafile={self.cafile!r})")

    __str__ = __repr__

    def describe(self) -> str:
        """One loggable line: protocol, mechanism and user, never the password."""
        if not self.sasl:
            return self.protocol
        return f"{self.protocol} {self.mechanism} as {self.username!r}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """A verifying client context (hostname checked) for TLS protocols, else None."""
        if not self.tls:
            return None
        try:
            return ssl.create_default_context(cafile=self.cafile)
        except (OSError, ssl.SSLError) as exc:
            raise SecurityConfigError(
                f"cannot load WIRESTREAM_SSL_CAFILE={self.cafile} ({exc}): point it at a PEM CA certificate"
            ) from None

    def aiokafka_kwargs(self) -> dict:
        """Keyword arguments for AIOKafkaProducer/AIOKafkaConsumer/AIOKafkaAdminClient."""
        kwargs: dict = {"security_protocol": self.protocol}
        if self.tls:
            kwargs["ssl_context"] = self.ssl_context()
        if self.sasl:
            kwargs.update(sasl_mechanism=self.mechanism, sasl_plain_username=self.username,
                          sasl_plain_password=self.password)
        return kwargs


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def from_env(env: Mapping[str, str] | None = None) -> ClientSecurity:
    """Parse and check the WIRESTREAM_* security variables (see the module docstring)."""
    env = get_settings().security_env if env is None else env
    username = _get(env, "WIRESTREAM_SASL_USERNAME")
    protocol = _get(env, "WIRESTREAM_SECURITY_PROTOCOL") or ("SASL_SSL" if username else "PLAINTEXT")
    protocol = protocol.upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(
            f"WIRESTREAM_SECURITY_PROTOCOL={protocol!r} is not one of {', '.join(PROTOCOLS)}")
    cafile = _get(env, "WIRESTREAM_SSL_CAFILE")
    if cafile and protocol in ("SSL", "SASL_SSL") and not Path(cafile).is_file():
        raise SecurityConfigError(f"WIRESTREAM_SSL_CAFILE={cafile} does not exist: point it at the broker's "
                                  "CA certificate (PEM)")
    if not protocol.startswith("SASL_"):
        return ClientSecurity(protocol=protocol, cafile=cafile)
    mechanism = (_get(env, "WIRESTREAM_SASL_MECHANISM") or DEFAULT_MECHANISM).upper()
    if mechanism not in MECHANISMS:
        raise SecurityConfigError(
            f"WIRESTREAM_SASL_MECHANISM={mechanism!r} is not one of {', '.join(MECHANISMS)}")
    if not username:
        raise SecurityConfigError(f"WIRESTREAM_SECURITY_PROTOCOL={protocol} needs WIRESTREAM_SASL_USERNAME")
    return ClientSecurity(protocol=protocol, mechanism=mechanism, username=username,
                          password=_password(env), cafile=cafile)


def _password(env: Mapping[str, str]) -> str:
    inline = env.get("WIRESTREAM_SASL_PASSWORD")
    path = _get(env, "WIRESTREAM_SASL_PASSWORD_FILE")
    if inline and path:
        raise SecurityConfigError("both WIRESTREAM_SASL_PASSWORD and WIRESTREAM_SASL_PASSWORD_FILE are set: "
                                  "unset one")
    if path:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError as exc:
            raise SecurityConfigError(f"cannot read WIRESTREAM_SASL_PASSWORD_FILE={path} "
                                      f"({exc.strerror or type(exc).__name__})") from None
        inline = lines[0] if lines else ""
    if not inline:
        raise SecurityConfigError("SASL needs a password: set WIRESTREAM_SASL_PASSWORD_FILE (preferred) or "
                                  "WIRESTREAM_SASL_PASSWORD")
    return inline


def client_kwargs() -> dict:
    """aiokafka keyword arguments from the current environment."""
    return from_env().aiokafka_kwargs()


async def connection_problem(bootstrap: str, security: ClientSecurity | None = None,
                             timeout: float = 10.0) -> str | None:
    """Why a client with ``security`` cannot talk to ``bootstrap`` (TLS, SASL or protocol mismatch), or None
    when there is no such reason (e.g. nothing listens there).

    aiokafka's clients only say "Unable to bootstrap"; this opens one connection the same way to get the
    real reason, so that a wrong password reads as an authentication failure, not as "no broker".
    """
    from aiokafka.conn import create_conn

    security = security or from_env()
    kwargs = security.aiokafka_kwargs()
    reasons = []
    for entry in parse_broker_url(bootstrap).split(","):
        host, _, port = entry.rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(host.strip("[]"), int(port), request_timeout_ms=int(timeout * 1000), **kwargs),
                timeout)
        except Exception as exc:  # noqa: BLE001 - the reason is what we want
            reasons.append(_explain(exc, security, entry))
            continue
        conn.close()
        return None
    return next((r for r in reasons if r), None)


def _explain(exc: Exception, security: ClientSecurity, where: str) -> str | None:
    text = str(exc).strip() or type(exc).__name__
    name = type(exc).__name__
    if "Authentication" in name or "authentication" in text.lower():
        return (f"authentication failed at {where} ({security.describe()}): {text}; check "
                "WIRESTREAM_SASL_USERNAME, the password and WIRESTREAM_SASL_MECHANISM")
    if "UnsupportedSaslMechanism" in name:
        return f"{text}; set WIRESTREAM_SASL_MECHANISM to one the broker enables"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"TLS certificate of {where} not trusted: {exc.verify_message or text}; set "
                "WIRESTREAM_SSL_CAFILE to the CA that signed it")
    if isinstance(exc, ssl.SSLError | ConnectionResetError) or "closed" in text:
        # Something listens but drops us: the usual cause is a TLS client on a plaintext port or vice versa.
        return (f"{where} closed the connection ({name}) right away: check that "
                f"WIRESTREAM_SECURITY_PROTOCOL={security.protocol} is what that listener speaks")
    return None
