"""Client security settings (streams/client/security.py, streams/cli/security.py): parsing, redaction."""

import ssl

import pytest
from click.testing import CliRunner

from streams.client.security import ENV_VARS, ClientSecurity, SecurityConfigError, from_env
from streams.localkafka import secure as broker_security
from streams.worker.app import faust_credentials

SECRET = "s3cret-Pa55word"


def test_default_is_plaintext():
    sec = from_env({})
    assert sec == ClientSecurity()
    assert sec.aiokafka_kwargs() == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(sec) is None


def test_sasl_ssl_from_env_with_password_file(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(SECRET + "\n")
    sec = from_env({"WIRESTREAM_SECURITY_PROTOCOL": "sasl_ssl", "WIRESTREAM_SASL_MECHANISM": "scram-sha-256",
                    "WIRESTREAM_SASL_USERNAME": "alice", "WIRESTREAM_SASL_PASSWORD_FILE": str(pw)})
    assert (sec.protocol, sec.mechanism, sec.username, sec.password) == ("SASL_SSL", "SCRAM-SHA-256", "alice",
                                                                         SECRET)
    kwargs = sec.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_plain_password"] == SECRET
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext) and kwargs["ssl_context"].check_hostname
    creds = faust_credentials(sec)
    assert creds.protocol.value == "SASL_SSL" and creds.mechanism.value == "SCRAM-SHA-256"
    assert SECRET not in repr(creds)


def test_username_alone_means_sasl_ssl_with_scram_512():
    sec = from_env({"WIRESTREAM_SASL_USERNAME": "bob", "WIRESTREAM_SASL_PASSWORD": SECRET})
    assert (sec.protocol, sec.mechanism) == ("SASL_SSL", "SCRAM-SHA-512")


def test_repr_str_and_describe_redact_the_password():
    sec = ClientSecurity("SASL_SSL", "PLAIN", "carol", SECRET, None)
    for text in (repr(sec), str(sec), sec.describe(), f"{sec}", f"{sec!r}"):
        assert SECRET not in text
    assert "<redacted>" in repr(sec)
    assert sec.describe() == "SASL_SSL PLAIN as 'carol'"


def test_ssl_only_uses_the_ca_file(tmp_path):
    ca, _ = broker_security.ensure_tls(tmp_path)
    sec = from_env({"WIRESTREAM_SECURITY_PROTOCOL": "SSL", "WIRESTREAM_SSL_CAFILE": str(ca)})
    assert sec.aiokafka_kwargs()["security_protocol"] == "SSL"
    assert faust_credentials(sec).protocol.value == "SSL"


@pytest.mark.parametrize(("env", "message"), [
    ({"WIRESTREAM_SECURITY_PROTOCOL": "TLS"}, "WIRESTREAM_SECURITY_PROTOCOL='TLS' is not one of"),
    ({"WIRESTREAM_SECURITY_PROTOCOL": "SASL_SSL"}, "needs WIRESTREAM_SASL_USERNAME"),
    ({"WIRESTREAM_SASL_USERNAME": "u"}, "SASL needs a password: set WIRESTREAM_SASL_PASSWORD_FILE"),
    ({"WIRESTREAM_SASL_USERNAME": "u", "WIRESTREAM_SASL_PASSWORD": SECRET,
      "WIRESTREAM_SASL_MECHANISM": "GSSAPI"}, "WIRESTREAM_SASL_MECHANISM='GSSAPI' is not one of"),
    ({"WIRESTREAM_SASL_USERNAME": "u", "WIRESTREAM_SASL_PASSWORD": SECRET,
      "WIRESTREAM_SASL_PASSWORD_FILE": "/x"},
     "both WIRESTREAM_SASL_PASSWORD and WIRESTREAM_SASL_PASSWORD_FILE"),
    ({"WIRESTREAM_SASL_USERNAME": "u", "WIRESTREAM_SASL_PASSWORD_FILE": "/nonexistent/pw"},
     "cannot read WIRESTREAM_SASL_PASSWORD_FILE=/nonexistent/pw"),
    ({"WIRESTREAM_SECURITY_PROTOCOL": "SSL", "WIRESTREAM_SSL_CAFILE": "/nonexistent/ca.pem"},
     "WIRESTREAM_SSL_CAFILE=/nonexistent/ca.pem does not exist"),
])
def test_bad_settings_name_the_variable_never_the_secret(env, message):
    with pytest.raises(SecurityConfigError) as err:
        from_env(env)
    assert message in str(err.value)
    assert SECRET not in str(err.value) and "\n" not in str(err.value)


def test_cli_flags_export_the_variables(tmp_path, monkeypatch):
    import os

    from streams.cli import main

    before = {name: os.environ.get(name) for name in ENV_VARS}
    for name in ENV_VARS:  # setenv first, so that teardown removes what the flags export
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    pw = tmp_path / "pw"
    pw.write_text(SECRET)
    ca, _ = broker_security.ensure_tls(tmp_path)
    seen = {}

    @main.command("show-security-for-test")
    def show():
        seen["sec"] = from_env()
        seen["env"] = dict(os.environ)

    try:
        result = CliRunner().invoke(main, [
            "--security-protocol", "SASL_SSL", "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-username", "dave",
            "--sasl-password-file", str(pw), "--ssl-cafile", str(ca), "show-security-for-test"])
    finally:
        main.commands.pop("show-security-for-test")
    assert result.exit_code == 0, result.output
    assert seen["sec"] == ClientSecurity("SASL_SSL", "SCRAM-SHA-256", "dave", SECRET, str(ca))
    assert "WIRESTREAM_SASL_PASSWORD" not in seen["env"]  # the password stays in its file
    assert "--sasl-password " not in CliRunner().invoke(main, ["--help"]).output
    monkeypatch.undo()
    assert {name: os.environ.get(name) for name in ENV_VARS} == before, "the flags' variables leaked"


def test_throwaway_ca_signs_a_localhost_certificate(tmp_path):
    from cryptography import x509

    ca_path, keystore = broker_security.ensure_tls(tmp_path)
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    pem = keystore.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----") and pem.count("BEGIN CERTIFICATE") == 2
    cert = x509.load_pem_x509_certificate(pem[pem.index("-----BEGIN CERTIFICATE"):].encode())
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert not list(tmp_path.rglob("*ca*key*"))  # the CA key is thrown away
    # kept while valid, so clients holding the CA file keep working across restarts
    assert broker_security.ensure_tls(tmp_path) == (ca_path, keystore)
    assert x509.load_pem_x509_certificate(ca_path.read_bytes()) == ca


def test_password_file_is_private_and_stable(tmp_path):
    first = broker_security.ensure_password(tmp_path)
    assert len(first) >= 32 and broker_security.ensure_password(tmp_path) == first
    assert oct(broker_security.password_file(tmp_path).stat().st_mode & 0o777) == "0o600"
    args = broker_security.scram_format_args(first)
    assert args == ["--add-scram", f"SCRAM-SHA-256=[name=wirestream,password={first}]",
                    "--add-scram", f"SCRAM-SHA-512=[name=wirestream,password={first}]"]


def test_secure_start_refuses_a_store_without_these_credentials(tmp_path):
    from streams.localkafka.errors import LocalKafkaError

    password = broker_security.ensure_password(tmp_path)
    good = {"scram_user": "wirestream", "password_sha256": broker_security.fingerprint(password)}
    broker_security.check_store(tmp_path, tmp_path / "data", good, password)
    with pytest.raises(LocalKafkaError, match="formatted without SASL credentials: remove it"):
        broker_security.check_store(tmp_path, tmp_path / "data", {"kafka_version": "4.1.1"}, password)
    with pytest.raises(LocalKafkaError, match="is not the password .* was formatted with") as err:
        broker_security.check_store(tmp_path, tmp_path / "data", good, "another-password")
    assert password not in str(err.value) and "another-password" not in str(err.value)
