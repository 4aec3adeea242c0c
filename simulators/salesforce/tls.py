"""A local certificate authority for serving HTTPS (simple-salesforce only builds https:// URLs).

The CA is created with ``trustme`` on first start and written under the state directory
(``.q2c/ca.pem`` and ``.q2c/ca-key.pem``); later starts reuse it, so ``REQUESTS_CA_BUNDLE=.q2c/ca.pem``
keeps working. The server certificate is issued from it at each start for the loopback names.
The same CA also signs a JWT bearer key pair for the default connected app
(``jwt-private-key.pem`` / ``jwt-certificate.pem``), so the JWT flow works out of the box.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from pathlib import Path

import trustme

from contracts import defaults

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
JWT_KEY = "jwt-private-key.pem"
JWT_CERT = "jwt-certificate.pem"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Atomically, so a concurrent reader never sees half a PEM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    if private:
        temporary.chmod(0o600)
    temporary.replace(path)


def local_ca(state_dir: Path) -> trustme.CA:
    """The state directory's CA, created on first use and reused afterwards."""
    cert_path, key_path = state_dir / CA_CERT, state_dir / CA_KEY
    if cert_path.exists() and key_path.exists():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    ca = trustme.CA(organization_name="q2c-sandbox", organization_unit_name="local CA")
    _write(key_path, ca.private_key_pem.bytes(), private=True)
    _write(cert_path, ca.cert_pem.bytes())
    return ca


def server_context(state_dir: Path, names: Sequence[str] = LOOPBACK_NAMES) -> ssl.SSLContext:
    """An SSL context for the simulator, with a leaf certificate for ``names`` from the local CA."""
    ca = local_ca(state_dir)
    leaf = ca.issue_cert(*names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


def jwt_credentials(state_dir: Path, subject: str = defaults.SALESFORCE_CLIENT_ID) -> tuple[Path, str]:
    """The default connected app's JWT key pair: (private key path, certificate PEM)."""
    key_path, cert_path = state_dir / JWT_KEY, state_dir / JWT_CERT
    if not (key_path.exists() and cert_path.exists()):
        leaf = local_ca(state_dir).issue_cert(subject, common_name=subject, key_type=trustme.KeyType.RSA)
        _write(key_path, leaf.private_key_pem.bytes(), private=True)
        _write(cert_path, leaf.cert_chain_pems[0].bytes())
    return key_path, cert_path.read_text(encoding="utf-8")
