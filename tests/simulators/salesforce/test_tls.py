"""The local CA: created once under the state directory, reused afterwards; the JWT key pair."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from simulators.salesforce.app import SalesforceSettings, with_jwt_certificate
from simulators.salesforce.tls import jwt_credentials, local_ca, server_context


def test_the_ca_is_created_once_and_reused(tmp_path: Path) -> None:
    first = local_ca(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == first.cert_pem.bytes()
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    again = local_ca(tmp_path)
    assert again.cert_pem.bytes() == first.cert_pem.bytes()
    context = server_context(tmp_path)
    assert isinstance(context, ssl.SSLContext)
    assert (tmp_path / "ca.pem").read_bytes() == first.cert_pem.bytes()  # not regenerated


def test_server_certificates_are_trusted_through_the_ca(tmp_path: Path) -> None:
    ca = local_ca(tmp_path)
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    certificate = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    authority = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    assert certificate.issuer == authority.subject
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)


def test_jwt_credentials_for_the_default_connected_app(tmp_path: Path) -> None:
    key_path, certificate_pem = jwt_credentials(tmp_path)
    assert key_path == tmp_path / "jwt-private-key.pem"
    assert key_path.stat().st_mode & 0o777 == 0o600
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    assert isinstance(certificate.public_key(), RSAPublicKey)  # RS256
    assert jwt_credentials(tmp_path)[1] == certificate_pem  # reused
    settings = with_jwt_certificate(SalesforceSettings(), certificate_pem)
    assert settings.orgs[0].apps[0].certificate_pem == certificate_pem
    assert with_jwt_certificate(settings, "other") is settings  # an explicit certificate is kept
