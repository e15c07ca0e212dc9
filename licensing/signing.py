"""The licence PDF as stored: its ODRL policy attached and, when configured, a PAdES signature.

With LICENCE_SIGNING_P12 and LICENCE_SIGNING_P12_PASSWORD set, every stored
licence is signed by that certificate (pyHanko): PAdES B-B, or B-T with a
timestamp from LICENCE_TSA_URL. The signer is loaded once per process.
Runs after the layout, on the rendered bytes, so the layout stays a pure function.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

import pikepdf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

POLICY_FILENAME = "licence-odrl.jsonld"


@dataclass(frozen=True)
class FinishedPdf:
    data: bytes
    # SHA-256 (hex) of the signing certificate, '' when unsigned.
    certificate_sha256: str


class LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner with its RSA key parsed once, not for every signature.

    SimpleSigner parses (and so checks) the private key each time it signs,
    twice a document: 0.25 s each for a 3072-bit key, most of a licence's cost.
    """

    def __init__(self, loaded: signers.SimpleSigner) -> None:
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
        )
        self.private_key = serialization.load_der_private_key(
            loaded.signing_key.dump(), password=None
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15" or not isinstance(self.private_key, RSAPrivateKey):
            return super().sign_raw(data, digest_algorithm)
        return self.private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@lru_cache(maxsize=4)
def _load_signer(path: str, password: str) -> signers.SimpleSigner:
    loaded = signers.SimpleSigner.load_pkcs12(path, passphrase=password.encode() or None)
    if loaded is None:
        raise ImproperlyConfigured(
            f"LICENCE_SIGNING_P12={path} could not be read with LICENCE_SIGNING_P12_PASSWORD."
        )
    return LoadedKeySigner(loaded)


def configured_signer() -> signers.SimpleSigner | None:
    """The signer from the settings, read from disk once per process; None when unset."""
    path = settings.LICENCE_SIGNING_P12
    if not path:
        return None
    return _load_signer(path, settings.LICENCE_SIGNING_P12_PASSWORD)


def certificate_sha256(signer: signers.SimpleSigner) -> str:
    certificate = signer.signing_cert
    if certificate is None:  # a PKCS#12 file always holds its certificate
        raise ImproperlyConfigured("LICENCE_SIGNING_P12 holds no certificate.")
    return hashlib.sha256(certificate.dump()).hexdigest()


def _room_for_signature(signer: signers.SimpleSigner) -> int:
    """Bytes to reserve for the signature: its certificates, the signature and its attributes,
    hex-encoded (twice the size). Saves pyHanko signing once more only to measure the result."""
    certificates = {certificate.dump() for certificate in signer.cert_registry}
    if signer.signing_cert is not None:
        certificates.add(signer.signing_cert.dump())
    return 2 * (sum(len(der) for der in certificates) + 4096)


def finish_licence_pdf(
    pdf: bytes, *, policy_json: bytes, signer_name: str, verify_url: str
) -> FinishedPdf:
    """Attach the licence's ODRL policy to `pdf` and sign it if a certificate is configured.

    Unsigned, the result is a pure function of `pdf` and the policy (a fixed
    document id), so a licence rendered again is byte for byte the one stored.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.attachments[POLICY_FILENAME] = pikepdf.AttachedFileSpec(
            document,
            policy_json,
            description="The licence as an ODRL 2.2 policy (JSON-LD)",
            filename=POLICY_FILENAME,
            mime_type="application/ld+json",
            relationship=pikepdf.Name.Data,
        )
        attached = io.BytesIO()
        document.save(attached, deterministic_id=True)
    signer = configured_signer()
    if signer is None:
        return FinishedPdf(attached.getvalue(), "")
    # A signature is of its moment: signed again, the same licence gets new bytes.
    writer = IncrementalPdfFileWriter(attached)
    timestamper = (
        RequestsHTTPTimeStamper(settings.LICENCE_TSA_URL) if settings.LICENCE_TSA_URL else None
    )
    signed = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Licence",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=signer_name,
            reason="Licence issued; verify at the address printed on it",
            location=verify_url,
        ),
        signer,
        timestamper=timestamper,
    ).sign_pdf(writer, bytes_reserved=None if timestamper else _room_for_signature(signer))
    return FinishedPdf(signed.getvalue(), certificate_sha256(signer))
