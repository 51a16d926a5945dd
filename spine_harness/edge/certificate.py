"""A throwaway certificate for the local edge, made at start: never a key in the repository."""
from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed(server_name: str, addresses: tuple[str, ...] = ("127.0.0.1",)) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for `server_name` and the loopback address, valid for a day.

    RSA, as most deployed certificates still are, so that the RSA cipher suites a careless
    ssl_ciphers line could enable are really negotiable in the weak-cipher check.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(server_name), *(x509.IPAddress(ipaddress.ip_address(a)) for a in addresses)]), critical=False)
        # Self-signed, so it is its own trust anchor for the suite's clients.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
