"""A local stand-in for the Stripe API, and webhook payloads signed as Stripe signs them.

The portal talks to the stub through the real `stripe` library
(STRIPE_API_BASE points at it); nothing in the library is patched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from html import escape
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

WEBHOOK_SECRET = "whsec_test"
SESSION_LIFETIME = 24 * 60 * 60


@dataclass(frozen=True)
class Call:
    """One request the stub received, as the library sent it."""

    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    authorization: str | None


class StripeStub:
    """Checkout Sessions: create (idempotent like Stripe) and retrieve; errors on demand."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.calls: list[Call] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self._replies_by_key: dict[str, dict[str, Any]] = {}
        self._failure: tuple[int, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        server.expect_request(
            re.compile(r"^/v1/checkout/sessions$"), method="POST"
        ).respond_with_handler(self._create_session)
        server.expect_request(
            re.compile(r"^/v1/checkout/sessions/[^/]+$"), method="GET"
        ).respond_with_handler(self._retrieve_session)
        # The hosted payment page a session's `url` points at, as a browser sees it.
        server.expect_request(re.compile(r"^/pay/[^/]+$"), method="GET").respond_with_handler(
            self._payment_page
        )
        server.expect_request(re.compile(r"^/pay/[^/]+$"), method="POST").respond_with_handler(
            self._pay
        )

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def created(self) -> list[Call]:
        return [call for call in self.calls if call.method == "POST"]

    def fail_with(
        self, status: int, *, type: str = "api_error", message: str = "Something went wrong."
    ) -> None:
        """Answer every following request with a Stripe-shaped error."""
        self._failure = (status, {"error": {"type": type, "message": message}})

    def recover(self) -> None:
        self._failure = None

    # --- Handlers ---------------------------------------------------------

    def _record(self, request: Request) -> None:
        self.calls.append(
            Call(
                method=request.method,
                path=request.path,
                params=request.form.to_dict(),
                idempotency_key=request.headers.get("Idempotency-Key"),
                authorization=request.headers.get("Authorization"),
            )
        )

    def _error(self) -> Response | None:
        if self._failure is None:
            return None
        status, body = self._failure
        # As Stripe does when a retry would not help; keeps the tests fast.
        return _json(body, status=status, headers={"Stripe-Should-Retry": "false"})

    def _create_session(self, request: Request) -> Response:
        with self._lock:
            self._record(request)
            if (error := self._error()) is not None:
                return error
            key = request.headers.get("Idempotency-Key")
            if key and key in self._replies_by_key:
                return _json(self._replies_by_key[key], headers={"Idempotent-Replayed": "true"})
            params = request.form
            session_id = f"cs_test_{secrets.token_hex(12)}"
            now = int(time.time())
            quantity = int(params.get("line_items[0][quantity]", "1"))
            session: dict[str, Any] = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"{self.url}/pay/{session_id}",
                "status": "open",
                "payment_status": "unpaid",
                "mode": params.get("mode"),
                "amount_total": int(params["line_items[0][price_data][unit_amount]"]) * quantity,
                "currency": params.get("line_items[0][price_data][currency]"),
                "client_reference_id": params.get("client_reference_id"),
                "customer_email": params.get("customer_email"),
                "metadata": {
                    name[len("metadata[") : -1]: value
                    for name, value in params.items()
                    if name.startswith("metadata[")
                },
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "payment_intent": None,
                "created": now,
                "expires_at": now + SESSION_LIFETIME,
                "livemode": False,
            }
            self.sessions[session_id] = session
            if key:
                self._replies_by_key[key] = session
            return _json(session)

    def _retrieve_session(self, request: Request) -> Response:
        with self._lock:
            self._record(request)
            if (error := self._error()) is not None:
                return error
            session = self.sessions.get(request.path.rsplit("/", 1)[1])
            if session is None:
                return _json(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": "No such checkout.session",
                        }
                    },
                    status=404,
                )
            return _json(session)

    def _payment_page(self, request: Request) -> Response:
        """Stripe's hosted page in miniature: what is being paid, and a button to pay it."""
        session = self.sessions.get(request.path.rsplit("/", 1)[1])
        if session is None:
            return Response("No such checkout session", status=404, content_type="text/plain")
        amount = f"{session['amount_total'] / 100:.2f} {str(session['currency']).upper()}"
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test payment</title></head>
<body><main>
<h1>Test payment</h1>
<p>Invoice <span id="invoice">{escape(session["client_reference_id"] or "")}</span>:
<strong id="amount">{escape(amount)}</strong></p>
<form method="post"><button type="submit">Pay {escape(amount)}</button></form>
<p><a href="{escape(session["cancel_url"] or "")}">Cancel and go back</a></p>
</main></body></html>"""
        return Response(body, content_type="text/html; charset=utf-8")

    def _pay(self, request: Request) -> Response:
        """The card is accepted: the session is complete and the buyer goes to success_url.

        As with Stripe, the portal learns of the payment from the webhook, which
        the test posts itself (see `completed_event`).
        """
        with self._lock:
            session = self.sessions.get(request.path.rsplit("/", 1)[1])
            if session is None or session["status"] != "open":
                return Response("Not payable", status=404, content_type="text/plain")
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=f"pi_{secrets.token_hex(12)}",
            )
            return Response(status=303, headers={"Location": session["success_url"]})

    def completed_event(self, session_id: str) -> str:
        """The checkout.session.completed payload Stripe would post for a paid session."""
        return event_payload("checkout.session.completed", dict(self.sessions[session_id]))


def _json(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json",
        headers={"Request-Id": f"req_{secrets.token_hex(7)}", **(headers or {})},
    )


# --- Webhook payloads -------------------------------------------------------


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
    """A snapshot event as Stripe posts it."""
    return json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        }
    )


def completed_session(
    *,
    invoice_number: str,
    amount_total: int,
    currency: str = "gbp",
    session_id: str | None = None,
    payment_status: str = "paid",
    payment_intent: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Checkout Session as it appears in checkout.session.* events."""
    session_id = session_id or f"cs_test_{secrets.token_hex(12)}"
    session: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": payment_status,
        "amount_total": amount_total,
        "amount_subtotal": amount_total,
        "currency": currency,
        "client_reference_id": invoice_number,
        "metadata": {"invoice": invoice_number},
        "payment_intent": payment_intent or f"pi_{secrets.token_hex(12)}",
        "livemode": False,
    }
    session.update(overrides)
    return session


def refunded_charge(
    *,
    payment_intent: str,
    amount: int,
    amount_refunded: int,
    currency: str = "gbp",
    charge_id: str = "ch_test_1",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "currency": currency,
        "paid": True,
        "refunded": amount_refunded >= amount,
        "payment_intent": payment_intent,
        "metadata": metadata or {},
        "livemode": False,
    }
