"""Structured logging: cross-reference fields on log records, JSON lines on request.

State changes and webhooks log the request reference, invoice number and
licence number as record attributes (`extra=`), so a JSON log can be searched
by any of them. Names, emails and addresses never go into these fields.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The fields every cross-referenced record carries (None when not known yet).
REFERENCE_FIELDS = ("request_reference", "invoice_number", "licence_number")

_context: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)


def reference_fields(
    *,
    request_reference: str | None = None,
    invoice_number: str | None = None,
    licence_number: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """The `extra=` of a record about a request, an invoice or a licence."""
    return {
        "request_reference": request_reference or None,
        "invoice_number": invoice_number or None,
        "licence_number": licence_number or None,
        **more,
    }


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields to every record logged inside the block (a webhook, say)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**fields: Any) -> None:
    """Add fields to the current `log_context` once they are known (an invoice matched)."""
    current = _context.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v})


class LogContextFilter(logging.Filter):
    """Copy the current `log_context` onto each record, never over an explicit `extra=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_context.get() or {}).items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True
