"""licensing.signing: PAdES signatures on stored licences, checked with pyHanko's validator.

A throwaway CA made here with `cryptography` issues the signing certificate
(and the timestamp authority's); the validator trusts that CA only.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from werkzeug import Request, Response

from licensing import signing as licence_signing
from licensing.models import Licence
from licensing.signing import POLICY_FILENAME, configured_signer
from tests.factories import make_request

PASSWORD = "correct horse"


@dataclass
class Pki:
    ca: x509.Certificate
    leaf: x509.Certificate
    p12_path: str
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    def validation_context(self) -> ValidationContext:
        return ValidationContext(trust_roots=[_asn1(self.ca)], allow_fetching=False)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    usage: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Throwaway test CA", ca_key)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate("Licence signing (test)", leaf_key, issuer=ca, issuer_key=ca_key)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = _certificate(
        "Test TSA",
        tsa_key,
        issuer=ca,
        issuer_key=ca_key,
        usage=[ExtendedKeyUsageOID.TIME_STAMPING],
    )
    path = tmp_path_factory.mktemp("pki") / "signing.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"licence",
            leaf_key,
            leaf,
            [ca],
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    return Pki(ca=ca, leaf=leaf, p12_path=str(path), tsa_cert=tsa, tsa_key=tsa_key)


@pytest.fixture
def signing(settings, pki, tmp_path) -> Pki:
    settings.MEDIA_ROOT = tmp_path
    settings.LICENCE_SIGNING_P12 = pki.p12_path
    settings.LICENCE_SIGNING_P12_PASSWORD = PASSWORD
    settings.LICENCE_TSA_URL = ""
    return pki


def issue_licence(article, django_capture_on_commit_callbacks) -> Licence:
    req = make_request(article, territory="country", country="FR", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        req.approve(actor=None, fee_minor=0, currency="GBP", validity_days=30)
    licence = Licence.objects.get(request=req)
    assert licence.pdf_sha256
    return licence


def test_stored_licence_carries_a_valid_pades_signature(
    article, signing, django_capture_on_commit_callbacks
) -> None:
    licence = issue_licence(article, django_capture_on_commit_callbacks)
    data = licence.pdf_bytes()
    assert hashlib.sha256(data).hexdigest() == licence.pdf_sha256
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    status = validate_pdf_signature(signature, signing.validation_context())
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.signing_cert.subject.human_friendly == "Common Name: Licence signing (test)"
    # PDF 1.x: an RSA key keeps pyHanko from writing PDF 2.0.
    assert data.startswith(b"%PDF-1.")


def test_a_tampered_byte_fails_validation(
    article, signing, django_capture_on_commit_callbacks
) -> None:
    data = issue_licence(article, django_capture_on_commit_callbacks).pdf_bytes()
    title = b"(Republication licence "
    at = data.index(title) + len(title) - 2
    tampered = data[:at] + (b"X" if data[at : at + 1] != b"X" else b"Y") + data[at + 1 :]
    (signature,) = PdfFileReader(io.BytesIO(tampered)).embedded_signatures
    status = validate_pdf_signature(signature, signing.validation_context())
    assert not status.intact
    assert not status.bottom_line


def test_verify_page_shows_the_signing_certificates_fingerprint(
    client, article, signing, django_capture_on_commit_callbacks
) -> None:
    licence = issue_licence(article, django_capture_on_commit_callbacks)
    fingerprint = signing.leaf.fingerprint(hashes.SHA256()).hex()
    assert licence.signing_certificate_sha256 == fingerprint
    html = client.get(f"/verify/{licence.number}/").content.decode()
    assert fingerprint in html


def test_without_a_certificate_licences_are_unsigned_but_carry_their_policy(
    client, article, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.LICENCE_SIGNING_P12 = ""
    licence = issue_licence(article, django_capture_on_commit_callbacks)
    reader = PdfFileReader(io.BytesIO(licence.pdf_bytes()))
    assert reader.embedded_signatures == []
    assert licence.signing_certificate_sha256 == ""
    assert "signing-certificate" not in client.get(f"/verify/{licence.number}/").content.decode()


def test_the_pdf_carries_the_same_odrl_policy_as_the_json(
    client, article, signing, django_capture_on_commit_callbacks
) -> None:
    import pikepdf

    licence = issue_licence(article, django_capture_on_commit_callbacks)
    with pikepdf.open(io.BytesIO(licence.pdf_bytes())) as pdf:
        attached = pdf.attachments[POLICY_FILENAME]
        assert attached.obj.AFRelationship == pikepdf.Name.Data
        policy = json.loads(attached.get_file().read_bytes())
    served = client.get(f"/verify/{licence.number}.json").json()
    assert policy == served
    assert policy["uid"] == licence.verify_url


def test_the_signer_is_loaded_once_per_process(signing) -> None:
    first = configured_signer()
    assert first is not None
    assert configured_signer() is first


def test_with_a_timestamp_authority_the_signature_is_pades_b_t(
    article, signing, settings, httpserver, django_capture_on_commit_callbacks
) -> None:
    """A local RFC 3161 server on 127.0.0.1, answering with pyHanko's DummyTimeStamper."""
    authority = DummyTimeStamper(
        tsa_cert=_asn1(signing.tsa_cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            signing.tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    def answer(request: Request) -> Response:
        reply = authority.request_tsa_response(tsp.TimeStampReq.load(request.get_data()))
        return Response(reply.dump(), content_type="application/timestamp-reply")

    httpserver.expect_request("/tsa", method="POST").respond_with_handler(answer)
    settings.LICENCE_TSA_URL = httpserver.url_for("/tsa")
    assert settings.LICENCE_TSA_URL.startswith("http://localhost:")
    licence = issue_licence(article, django_capture_on_commit_callbacks)
    (signature,) = PdfFileReader(io.BytesIO(licence.pdf_bytes())).embedded_signatures
    status = validate_pdf_signature(signature, signing.validation_context())
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted


def test_the_signer_is_read_from_disk_once_per_process(
    signing: Pki, article, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    licence_signing._load_signer.cache_clear()
    reads: list[str] = []
    load = signers.SimpleSigner.load_pkcs12

    def counted(path: str, *args, **kwargs):
        reads.append(path)
        return load(path, *args, **kwargs)

    monkeypatch.setattr(signers.SimpleSigner, "load_pkcs12", counted)
    first = issue_licence(article, django_capture_on_commit_callbacks)
    second = issue_licence(article, django_capture_on_commit_callbacks)
    assert first.signing_certificate_sha256 == second.signing_certificate_sha256 != ""
    assert configured_signer() is configured_signer()
    assert reads == [signing.p12_path]
