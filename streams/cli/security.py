"""``wirestream --security-protocol ... <command>``: flags that set the WIRESTREAM_* security variables.

The flags only export variables (read by streams/client/security.py), so a worker started by the CLI sees
the same
settings. There is deliberately no password flag: command lines show up in ``ps`` and shell history; use
``--sasl-password-file`` or WIRESTREAM_SASL_PASSWORD.
"""

from __future__ import annotations

import os

import click

from streams.client.security import MECHANISMS, PROTOCOLS


def _export(name: str):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value is not None:
            os.environ[name] = str(value)
        return value

    return callback


_OPTIONS = [
    click.option("--security-protocol", type=click.Choice(PROTOCOLS, case_sensitive=False),
                 expose_value=False, callback=_export("WIRESTREAM_SECURITY_PROTOCOL"),
                 help="How to reach Kafka (env WIRESTREAM_SECURITY_PROTOCOL) [default: PLAINTEXT]."),
    click.option("--sasl-mechanism", type=click.Choice(MECHANISMS, case_sensitive=False),
                 expose_value=False, callback=_export("WIRESTREAM_SASL_MECHANISM"),
                 help="SASL mechanism (env WIRESTREAM_SASL_MECHANISM) [default: SCRAM-SHA-512]."),
    click.option("--sasl-username", expose_value=False, callback=_export("WIRESTREAM_SASL_USERNAME"),
                 help="SASL user (env WIRESTREAM_SASL_USERNAME)."),
    click.option("--sasl-password-file", type=click.Path(exists=True, dir_okay=False),
                 expose_value=False, callback=_export("WIRESTREAM_SASL_PASSWORD_FILE"),
                 help="File whose first line is the SASL password (env WIRESTREAM_SASL_PASSWORD_FILE; "
                      "or WIRESTREAM_SASL_PASSWORD)."),
    click.option("--ssl-cafile", type=click.Path(exists=True, dir_okay=False),
                 expose_value=False, callback=_export("WIRESTREAM_SSL_CAFILE"),
                 help="PEM CA certificate that signed the broker certificate (env WIRESTREAM_SSL_CAFILE)."),
]


def security_options(func):
    """Add the security flags to a click command or group."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func
