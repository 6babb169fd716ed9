"""The ``--secure`` listener of the local broker: SASL_SSL with SCRAM-SHA-256/512 and PLAIN.

Files live in ``<home>/broker/secure/``:
  password     the SASL password of user :data:`SCRAM_USER` (mode 0600), made when storage is first formatted,
               because SCRAM credentials are written into the KRaft metadata by ``kafka-storage format``
  ca.pem       certificate of a throwaway CA whose private key is never written to disk
  broker.pem   the broker's private key and certificate chain (mode 0600; Kafka reads it as a PEM keystore)
  client.env   WIRESTREAM_* variables for a client of the secure listener (mode 0600), for ``set -a; . file``

The password never goes to a log: it is only in 0600 files (server.properties holds PLAIN's user list and is
0600 too), and in the argument list of the short ``kafka-storage format`` run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import secrets
from pathlib import Path

from streams.localkafka.jvm import LocalKafkaError

SCRAM_USER = "wirestream"
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")
LISTENER = "SASL_SSL"
CERT_DAYS = 365


def secure_dir(bdir: Path) -> Path:
    return bdir / "secure"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file that is 0600 from its first byte (no window where others can read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def password_file(bdir: Path) -> Path:
    return secure_dir(bdir) / "password"


def ensure_password(bdir: Path) -> str:
    """The SASL password of :data:`SCRAM_USER`, created (URL-safe random, 32 chars) on first use."""
    path = password_file(bdir)
    if not path.is_file():
        _write_private(path, secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def fingerprint(password: str) -> str:
    """SHA-256 of the password, kept with the storage to tell a replaced password file (not a secret: the
    password is 32 random URL-safe characters, far beyond guessing from its hash)."""
    return hashlib.sha256(password.encode()).hexdigest()


def check_store(bdir: Path, data_dir: Path, record: dict, password: str) -> None:
    """LocalKafkaError unless the formatted store ``data_dir`` (its format ``record``) holds ``password``."""
    if not record.get("scram_user"):
        raise LocalKafkaError(f"{data_dir} was formatted without SASL credentials: remove it (its topics are "
                          "lost) or use another WIRESTREAM_HOME, then start again with --secure")
    if record.get("password_sha256", fingerprint(password)) != fingerprint(password):
        raise LocalKafkaError(f"{password_file(bdir)} is not the password {data_dir} was formatted with: "
                              "restore it, or remove that directory (its topics are lost)")


def scram_format_args(password: str) -> list[str]:
    """``kafka-storage format`` arguments that store SCRAM credentials for both hash sizes."""
    # token_urlsafe has no ',' ']' '=' or quotes, which the --add-scram syntax would need escaped.
    return [arg for mech in MECHANISMS if mech.startswith("SCRAM")
            for arg in ("--add-scram", f"{mech}=[name={SCRAM_USER},password={password}]")]


def ensure_tls(bdir: Path) -> tuple[Path, Path]:
    """(CA certificate, broker keystore) PEM files; a fresh throwaway CA signs the broker certificate when
    they are missing or expire within a day. The CA key is discarded, so nothing else can be signed."""
    sdir = secure_dir(bdir)
    ca_path, keystore = sdir / "ca.pem", sdir / "broker.pem"
    if ca_path.is_file() and keystore.is_file() and _valid_for(ca_path, dt.timedelta(days=1)):
        return ca_path, keystore
    ca_pem, key_pem, cert_pem = _issue()
    _write_private(keystore, key_pem + cert_pem + ca_pem)
    ca_path.write_text(ca_pem)
    return ca_path, keystore


def _valid_for(cert_path: Path, margin: dt.timedelta) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc - margin > dt.datetime.now(dt.UTC)


def _issue() -> tuple[str, str, str]:
    """(CA cert, broker key, broker cert) in PEM. EC P-256 keys: fast to make, read by Kafka's PEM store."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate small clock skew
    until = now + dt.timedelta(days=CERT_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wirestream throwaway local CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_cert.public_bytes(pem).decode(), key_pem.decode(), cert.public_bytes(pem).decode()


def server_overrides(port: int, secure_port: int, ctrl: int, keystore: Path, password: str) -> dict:
    """server.properties entries adding a SASL_SSL listener; PLAINTEXT stays the inter-broker listener."""
    listener = LISTENER.lower()
    scram_jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    plain_jaas = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
                  f'user_{SCRAM_USER}="{password}";')
    return {
        "listeners": f"PLAINTEXT://127.0.0.1:{port},{LISTENER}://127.0.0.1:{secure_port},"
                     f"CONTROLLER://127.0.0.1:{ctrl}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},{LISTENER}://127.0.0.1:{secure_port}",
        "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,{LISTENER}:{LISTENER}",
        f"listener.name.{listener}.sasl.enabled.mechanisms": ",".join(MECHANISMS),
        f"listener.name.{listener}.scram-sha-256.sasl.jaas.config": scram_jaas,
        f"listener.name.{listener}.scram-sha-512.sasl.jaas.config": scram_jaas,
        f"listener.name.{listener}.plain.sasl.jaas.config": plain_jaas,
        f"listener.name.{listener}.ssl.keystore.type": "PEM",
        f"listener.name.{listener}.ssl.keystore.location": str(keystore),
        f"listener.name.{listener}.ssl.client.auth": "none",
    }


def write_client_env(bdir: Path, secure_bootstrap: str, ca_path: Path) -> Path:
    """A sourceable file configuring wirestream clients for the secure listener (password by file)."""
    path = secure_dir(bdir) / "client.env"
    _write_private(path, "\n".join([
        "# written by `wirestream broker start --secure`: `set -a; . this-file; set +a`",
        f"WIRESTREAM_BROKER=kafka://{secure_bootstrap}",
        f"WIRESTREAM_SECURITY_PROTOCOL={LISTENER}",
        "WIRESTREAM_SASL_MECHANISM=SCRAM-SHA-512",
        f"WIRESTREAM_SASL_USERNAME={SCRAM_USER}",
        f"WIRESTREAM_SASL_PASSWORD_FILE={password_file(bdir)}",
        f"WIRESTREAM_SSL_CAFILE={ca_path}",
    ]) + "\n")
    return path


def state_entries(bdir: Path, secure_port: int, ca_path: Path, env_path: Path) -> dict:
    """What ``status`` shows about the secure listener: never the password itself, only where it is."""
    return {
        "secure_bootstrap": f"127.0.0.1:{secure_port}",
        "security_protocol": LISTENER,
        "sasl_mechanisms": list(MECHANISMS),
        "sasl_username": SCRAM_USER,
        "password_file": str(password_file(bdir)),
        "cafile": str(ca_path),
        "client_env": str(env_path),
    }
