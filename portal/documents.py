"""Stored documents (licence, invoice and credit note PDFs): written to and read back from
the "documents" storage.

That storage is the local disk (MEDIA_ROOT) or a private S3-compatible bucket
(DOCUMENT_STORAGE=s3), shared by every web server and worker. What is read back
is checked against the SHA-256 recorded when it was written: a missing or
altered file is reported as absent, so the caller renders it again instead of
serving it; a store that does not answer raises DocumentStorageUnavailable.
"""

import hashlib
import logging
from typing import ClassVar

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import models, transaction
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

# What the storage backends raise when the store itself is away or refuses:
# botocore's network and timeout errors, an S3 error answer (5xx, access
# denied, no such bucket), and the disk's own errors for local storage.
STORE_ERRORS = (BotoCoreError, ClientError, OSError)


class DocumentStorageUnavailable(ConnectionError):
    """The document store did not answer (or refused): try again later, nothing is lost.

    A ConnectionError, so the task retries (portal.mail_retries) treat it like
    a mail outage: temporary.
    """


def document_storage() -> Storage:
    """The storage stored documents live in.

    Also the FileFields' storage callable, which Django calls once at import;
    the functions below ask again at each call, so a change of STORAGES
    (tests) applies at once.
    """
    return storages["documents"]


def read_document(file: FieldFile, sha256: str, *, label: str) -> bytes | None:
    """The stored bytes when they match `sha256`; None, logged, when missing or altered."""
    if not file.name or not sha256:
        return None
    try:
        with document_storage().open(file.name, "rb") as stored:
            data = bytes(stored.read())
    except FileNotFoundError:
        logger.warning("Stored document %s (%s) is missing: rendering it again", label, file.name)
        return None
    except STORE_ERRORS as error:
        raise DocumentStorageUnavailable(f"Document store unavailable: {error}") from error
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.error(
            "Stored document %s (%s) does not match its SHA-256: rendering it again",
            label,
            file.name,
        )
        return None
    return data


def save_document(file: FieldFile, name: str, data: bytes) -> str:
    """Store `data` as the field's file (replacing any earlier one); its SHA-256 in hex.

    The documents storage overwrites a file of the same name (S3's
    file_overwrite, FileSystemStorage's allow_overwrite: settings.STORAGES), so
    the new file takes the old one's place with no moment without it, and no
    second file under a suffixed name. An earlier file under another name is
    deleted once the new one is stored. The caller saves the model row with the
    new name and hash.
    """
    storage = document_storage()
    earlier = file.name
    try:
        file.name = storage.save(
            file.field.generate_filename(file.instance, name), ContentFile(data)
        )
        if earlier and earlier != file.name:
            storage.delete(earlier)
    except STORE_ERRORS as error:
        raise DocumentStorageUnavailable(f"Document store unavailable: {error}") from error
    return hashlib.sha256(data).hexdigest()


def stored_pdf_name(instance: "StoredPdf", filename: str) -> str:
    """Where a stored PDF lives: its model's folder ("licences/LIC-2026-000001.pdf")."""
    return f"{instance.PDF_FOLDER}/{filename}"


class StoredPdf(models.Model):
    """A model whose PDF is made once, stored with its SHA-256 and served from the store.

    The model has a `number`, names its `PDF_FOLDER` and makes its PDF in
    `make_pdf`; a PDF that is missing, altered, or out of date (its hash
    cleared) is made again on the next read.
    """

    PDF_FOLDER: ClassVar[str]
    # Fields `make_pdf` sets as it makes the PDF, saved with it.
    SAVED_WITH_PDF: ClassVar[tuple[str, ...]] = ()

    pdf = models.FileField(upload_to=stored_pdf_name, blank=True, storage=document_storage)
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    number: str

    class Meta:
        abstract = True

    def make_pdf(self, **options: str) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} must make its PDF")

    def _lock(self) -> None:
        """Lock this row until the transaction ends, and read it afresh.

        The public methods take the lock; the private ones assume it.
        """
        self.refresh_from_db(from_queryset=type(self)._default_manager.select_for_update())

    def pdf_bytes(self, **options: str) -> bytes:
        """The stored PDF; made (with `options`) and stored first if missing, altered or outdated.

        It is made under this row's lock, the row read again under it: the
        worker and a download, or two servers, asking at the same moment make
        it once, and the second serves what the first stored.
        """
        stored = read_document(self.pdf, self.pdf_sha256, label=self.number)
        if stored is not None:
            return stored
        with transaction.atomic():
            self._lock()
            # Read again under the lock: another process may have stored it while
            # this one waited.
            stored = read_document(self.pdf, self.pdf_sha256, label=self.number)
            if stored is not None:
                return stored
            data = self.make_pdf(**options)
            self.pdf_sha256 = save_document(self.pdf, f"{self.number}.pdf", data)
            self.save(update_fields=["pdf", "pdf_sha256", *self.SAVED_WITH_PDF])
            return data

    def store_at_issue(self, **options: str) -> str:
        """Make the PDF once, at issue, and store it (a task's work): what happened, in words.

        Not retried: a store that does not answer now leaves it to the first
        download, which makes and stores it the same way.
        """
        try:
            self.pdf_bytes(**options)
        except DocumentStorageUnavailable as error:
            kind = str(self._meta.verbose_name).capitalize()
            logger.warning("%s %s not stored at issue: %s", kind, self.number, error)
            return "not stored: the document store did not answer"
        return f"stored {self.number}"
