"""Make a self-signed licence-signing certificate for the demo (`make run`), once.

A PKCS#12 file with an RSA key (an ECDSA key would make pyHanko write PDF
2.0), so demo licences carry a signature a PDF reader shows. Never for
production: docs/deploy.md says how to use a certificate from a CA.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def self_signed_p12(*, common_name: str, password: str, days: int = 3 * 365) -> bytes:
    """A PKCS#12 (key and certificate) for signing documents, signed by its own key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.PUBLISHER_NAME),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name=common_name.encode(),
        key=key,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )


class Command(BaseCommand):
    help = "Create a self-signed licence-signing certificate (PKCS#12) for the demo, if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the .p12 file (kept if it exists)")
        parser.add_argument("--password", required=True, help="The file's password")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists():
            self.stdout.write(f"Demo signing certificate: {path} (kept)")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self_signed_p12(
            common_name=f"{settings.PUBLISHER_NAME} licences (demo, self-signed)",
            password=options["password"],
        )
        path.touch(mode=0o600)
        path.write_bytes(data)
        self.stdout.write(f"Demo signing certificate created: {path}")
