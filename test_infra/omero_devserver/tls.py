"""A self-signed certificate for the SSL endpoint, made with the ``openssl`` binary.

``omero login -s HOST`` with a plain host name connects with SSL (omero.client builds
``OMERO.Glacier2/router:ssl -p PORT -h HOST``), as to a real server. The PKCS12 file
uses AES-256-CBC: OpenSSL 3 cannot read the legacy RC2 default.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PASSWORD = "devserver"      # protects a throw-away self-signed key, nothing else


def ensure_certificate(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    p12 = directory / "server.p12"
    if p12.exists():
        return p12
    key, cert = directory / "server.key", directory / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "3650",
                    "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-out", str(p12), "-inkey", str(key),
                    "-in", str(cert), "-passout", "pass:" + PASSWORD,
                    "-keypbe", "AES-256-CBC", "-certpbe", "AES-256-CBC"],
                   check=True, capture_output=True)
    return p12
