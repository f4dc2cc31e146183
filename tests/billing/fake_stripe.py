"""A Stripe-compatible HTTP server for tests, in memory, on 127.0.0.1: no test reaches Stripe.

Verdict on localstripe 1.15.10 (read, not used): it has no Price resource (so no lookup_key nor
``prices?lookup_keys[]=``), no Checkout or Billing Portal sessions, no Billing Meters or meter
events, ignores ``Idempotency-Key``, fails only through magic card numbers, and is an aiohttp app
with module-global state. Wrapping it would mean writing all of that anyway, hence this small
standard-library server (``http.server`` in a thread, one per test) for what our billing uses.

Use::

    with FakeStripe() as fake:
        client = fake.client()                      # a stripe.StripeClient aimed at the fake
        session = client.v1.checkout.sessions.create(params={...})
        event = fake.complete_checkout(session.id)  # the checkout.session.completed payload
        payload, signature = fake.webhook(event, "whsec_test")

To aim the project's own code at it, point its API base at ``fake.url`` and its key at
``fake.api_key``. Requests use Stripe's wire format (form bodies in bracket notation); answers
are JSON objects shaped like Stripe's, errors carry Stripe's status codes and bodies, and every
request received is kept in ``fake.requests``. Failures are injected with ``fail_next`` and
``decline_next_payment``; test helpers (``complete_checkout``, ``pay_invoice``,
``fail_invoice_payment``, ``set_subscription_status``, ``advance_invoice``) move objects the way
Stripe would on its own, and return the webhook event that Stripe would send.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import traceback
import uuid
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION: str = stripe.api_version
DEFAULT_API_KEY = "sk_test_fake"
_DAY = 86400
_ALPHANUM = string.ascii_letters + string.digits
_INTERVALS = ("day", "week", "month", "year")
_SUBSCRIPTION_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due",
                          "canceled", "unpaid", "paused")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY_PART = re.compile(r"\[([^\]]*)\]")
_Result = tuple[int, dict[str, Any]]  # an endpoint's answer: status and body


class Request(NamedTuple):
    """One request received: ``params`` parsed from the query string and the form body,
    ``headers`` with lower-case names."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


# ---- wire format ------------------------------------------------------------------------------

def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation to nested values: ``metadata[org]=acme`` → {"metadata":
    {"org": "acme"}}; ``line_items[0][price]=p`` → {"line_items": [{"price": "p"}]};
    ``lookup_keys[]=a&lookup_keys[]=b`` → {"lookup_keys": ["a", "b"]}. Values stay strings."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, bracket, rest = key.partition("[")
        parts = [head, *(_KEY_PART.findall(bracket + rest) if bracket else [])]
        node = root
        for position, part in enumerate(parts):
            if part == "":  # "name[]": the next index of that array
                part = str(sum(1 for name in node if name.isdigit()))
            if position == len(parts) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return _arrays(root)


def _arrays(node: Any) -> Any:
    if isinstance(node, dict):
        node = {name: _arrays(value) for name, value in node.items()}
        if node and all(name.isdigit() for name in node):
            return [node[name] for name in sorted(node, key=int)]
    return node


def _add_interval(timestamp: int, interval: str = "month", count: int = 1) -> int:
    if interval == "day":
        return timestamp + count * _DAY
    if interval == "week":
        return timestamp + count * 7 * _DAY
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


class _ApiError(Exception):
    """An answer in Stripe's error shape."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        error: dict[str, Any] = {"message": message, "type": kind}
        if code:
            error["code"] = code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            error["param"] = param
        error.update(extra)
        self.status = status
        self.body = {"error": error}
        self.headers = headers or {}


def _declined_body() -> dict[str, Any]:
    return {"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
        "message": "Your card was declined.",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined"}}


@dataclass
class _Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float | None = None  # drop the connection after so many seconds instead of answering


@dataclass
class _Failure:
    method: str
    path_prefix: str
    status: int
    timeout: bool
    hang: float
    error: dict[str, Any] | None
    processed: bool
    should_retry: bool | None
    times: int


_INJECTED_ERRORS = {
    400: ("invalid_request_error", None, "Injected failure (FakeStripe)."),
    401: ("invalid_request_error", None, "Invalid API Key provided (injected by FakeStripe)."),
    402: ("card_error", "card_declined", "Your card was declined."),
    404: ("invalid_request_error", "resource_missing", "No such object (injected by FakeStripe)."),
    409: ("idempotency_error", None, "There is currently another in-progress request using "
                                     "this Idempotent Key (injected by FakeStripe)."),
    429: ("invalid_request_error", "rate_limit", "Request rate limit exceeded (injected by "
                                                 "FakeStripe)."),
}


# ---- the HTTP side ----------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeStripe


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        fake = self.server.fake
        response = fake._dispatch(self.command, self.path, body, headers)
        if response.hang is not None:
            fake._closing.wait(response.hang)
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = _serve


# ---- the fake -----------------------------------------------------------------------------------

class FakeStripe:
    """An in-memory Stripe API on 127.0.0.1 (a free port), served by a background thread."""

    def __init__(self, api_key: str = DEFAULT_API_KEY):
        if not api_key.startswith(("sk_test_", "rk_test_")):
            raise ValueError("FakeStripe takes test-mode secret keys only (sk_test_…).")
        self.api_key = api_key
        self.url = ""
        self.time_offset = 0  # seconds added to the fake's clock
        self.requests: list[Request] = []
        self.meter_events: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []  # tracebacks of the fake's own failures
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = [(method, re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)),
                         handler) for method, pattern, handler in self._route_table()]
        self.reset()

    # lifecycle

    def start(self) -> FakeStripe:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._closing.clear()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._closing.set()  # wakes requests held by an injected timeout
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every object, request, injected failure and idempotency key."""
        with self._lock:
            self._objects: dict[str, dict[str, dict[str, Any]]] = {}
            self._by_id: dict[str, dict[str, Any]] = {}
            self._session_items: dict[str, list[dict[str, Any]]] = {}
            self._session_data: dict[str, dict[str, Any]] = {}  # subscription_data, per session
            self._idempotency: dict[str, tuple[str, str, dict[str, Any], _Response]] = {}
            self._meter_identifiers: set[str] = set()
            self._failures: list[_Failure] = []
            self._declines = 0
            self._portal_configuration = self._new_id("bpc_")
            self.requests.clear()
            self.meter_events.clear()
            self.events.clear()
            self.errors.clear()

    def client(self, api_key: str | None = None, *, timeout: float = 10.0,
               max_network_retries: int = 0) -> stripe.StripeClient:
        """A StripeClient aimed at this server (no retries, a short timeout by default)."""
        return stripe.StripeClient(api_key or self.api_key, base_addresses={"api": self.url},
                                   max_network_retries=max_network_retries,
                                   http_client=stripe.RequestsClient(timeout=timeout))

    # failure injection

    def fail_next(self, method: str, path_prefix: str, *, status: int = 500,
                  timeout: bool = False, hang: float = 5.0, error: dict[str, Any] | None = None,
                  processed: bool = False, should_retry: bool | None = None,
                  times: int = 1) -> None:
        """Make the next request(s) whose method matches and whose path starts with
        ``path_prefix`` fail, ``times`` times (once by default): with ``status`` and a
        Stripe error body (``error`` replaces its inside), or with ``timeout=True`` by
        holding the request ``hang`` seconds then closing the connection without an answer
        (give the client a shorter timeout). With ``processed=True`` the request is carried
        out first (and remembered for its Idempotency-Key), as when an answer is lost on the
        way back; otherwise nothing happens on the fake's side."""
        with self._lock:
            self._failures.append(_Failure(method.upper(), path_prefix, status, timeout, hang,
                                           error, processed, should_retry, times))

    def decline_next_payment(self, times: int = 1) -> None:
        """The next payment (checkout completion, invoice payment, subscription creation)
        fails with a card_declined error."""
        with self._lock:
            self._declines += times

    # inspection

    def get(self, object_id: str) -> dict[str, Any]:
        """Any stored object, as the API would return it."""
        with self._lock:
            if object_id not in self._by_id:
                raise KeyError(object_id)
            return self._render(self._by_id[object_id])

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of a kind ("customer", "price", "checkout.session", …), oldest
        first."""
        with self._lock:
            return [self._render(obj) for obj in self._objects.get(kind, {}).values()]

    def requests_to(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    # events and webhooks

    def event(self, type: str, data_object: Any, *,
              previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """An Event payload for ``data_object`` (a dict or a StripeObject), kept in
        ``fake.events`` and retrievable at GET /v1/events/{id}."""
        if hasattr(data_object, "to_dict"):
            data_object = data_object.to_dict()
        with self._lock:
            event: dict[str, Any] = {
                "id": self._new_id("evt_"), "object": "event", "api_version": API_VERSION,
                "created": self._now(), "data": {"object": copy.deepcopy(data_object)},
                "livemode": False, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None}, "type": type}
            if previous_attributes is not None:
                event["data"]["previous_attributes"] = copy.deepcopy(previous_attributes)
            self._store(event)
            self.events.append(event)
            return copy.deepcopy(event)

    @staticmethod
    def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
        """The ``Stripe-Signature`` header Stripe would send for this payload."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        timestamp = int(time.time()) if timestamp is None else int(timestamp)
        signed = f"{timestamp}.".encode() + payload
        digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    def webhook(self, event: dict[str, Any], secret: str,
                timestamp: int | None = None) -> tuple[bytes, str]:
        """(body, Stripe-Signature header) of a webhook delivery of ``event``."""
        payload = json.dumps(event, indent=2, default=str).encode("utf-8")  # decimals as text
        return payload, self.sign(payload, secret, timestamp)

    # test helpers moving objects as Stripe would

    def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """The customer pays on the Checkout page: creates the customer if needed, the
        subscription and its paid first invoice (subscription mode), completes the session,
        and returns the ``checkout.session.completed`` event. With a decline armed, raises
        stripe.CardError and leaves the session open, as Checkout does."""
        with self._lock:
            session = self._objects.get("checkout.session", {}).get(session_id)
            if session is None:
                raise KeyError(f"No such checkout.session: '{session_id}'")
            if session["status"] != "open":
                raise ValueError(f"Checkout session {session_id} is {session['status']}.")
            if self._take_decline():
                body = _declined_body()
                raise stripe.CardError(body["error"]["message"], None, "card_declined",
                                       http_body=json.dumps(body), http_status=402,
                                       json_body=body)
            return self._complete_checkout(session)

    def set_subscription_status(self, subscription_id: str, status: str) -> dict[str, Any]:
        """Force a subscription's status; returns the customer.subscription.updated (or
        .deleted, for "canceled") event."""
        if status not in _SUBSCRIPTION_STATUSES:
            raise ValueError(f"Unknown subscription status {status!r}.")
        with self._lock:
            sub = self._objects.get("subscription", {}).get(subscription_id)
            if sub is None:
                raise KeyError(subscription_id)
            previous = {"status": sub["status"]}
            sub["status"] = status
            if status == "canceled":
                sub["canceled_at"] = sub["canceled_at"] or self._now()
                sub["ended_at"] = self._now()
                return self._emit("customer.subscription.deleted", sub, previous)
            return self._emit("customer.subscription.updated", sub, previous)

    def fail_invoice_payment(self, subscription_id: str) -> dict[str, Any]:
        """A renewal payment fails: the subscription's open invoice (or a new cycle invoice)
        gets a failed attempt, the subscription turns past_due; returns the
        invoice.payment_failed event."""
        with self._lock:
            sub, invoice = self._renewal_invoice(subscription_id)
            return self._fail_payment(invoice, sub)

    def pay_invoice(self, subscription_id: str) -> dict[str, Any]:
        """A renewal payment succeeds: the subscription's open invoice (or a new cycle
        invoice) is paid, the subscription turns active; returns the invoice.paid event.
        With a decline armed, the payment fails instead and invoice.payment_failed is
        returned."""
        with self._lock:
            sub, invoice = self._renewal_invoice(subscription_id)
            if self._take_decline():
                return self._fail_payment(invoice, sub)
            return self._succeed_payment(invoice, sub)

    def advance_invoice(self, invoice_id: str) -> dict[str, Any]:
        """What Stripe's automatic collection does to a draft: finalize, then charge it
        (charge_automatically) — returns invoice.paid, invoice.payment_failed, or
        invoice.finalized for send_invoice invoices."""
        with self._lock:
            invoice = self._find("invoice", invoice_id)
            if invoice["status"] == "draft":
                self._finalize(invoice)
            if invoice["status"] == "paid":
                return self._emit("invoice.paid", invoice)
            if invoice["collection_method"] == "send_invoice":
                return self._emit("invoice.finalized", invoice)
            sub = self._by_id.get(invoice["subscription"] or "")
            if self._take_decline():
                return self._fail_payment(invoice, sub)
            return self._succeed_payment(invoice, sub)

    # ---- request handling ------------------------------------------------------------------

    def _dispatch(self, method: str, raw_path: str, body: bytes,
                  headers: dict[str, str]) -> _Response:
        parts = urlsplit(raw_path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if body:
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params = parse_form(pairs)
        with self._lock:
            self.requests.append(Request(method, parts.path, params, headers))
            failure = self._take_failure(method, parts.path)
        if failure is not None and not failure.processed:
            return self._failure_response(failure)
        try:
            if parts.path.startswith("/v1/"):
                response = self._api(method, parts.path, params, headers)
            else:
                response = self._page(method, parts.path)
        except Exception as exc:
            self.errors.append(traceback.format_exc())
            response = self._json(500, {"error": {
                "type": "api_error", "message": f"FakeStripe failed: {exc!r}"}})
        if failure is not None:
            return self._failure_response(failure)
        return response

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and path.startswith(failure.path_prefix):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _failure_response(self, failure: _Failure) -> _Response:
        if failure.timeout:
            return _Response(hang=failure.hang)
        kind, code, message = _INJECTED_ERRORS.get(failure.status, (
            "api_error" if failure.status >= 500 else "invalid_request_error", None,
            "Something went wrong on Stripe's end (injected by FakeStripe)."))
        error: dict[str, Any] = {"type": kind, "message": message}
        if code:
            error["code"] = code
        if failure.status == 402:
            error.update(_declined_body()["error"])
        error.update(failure.error or {})
        headers = {}
        if failure.should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if failure.should_retry else "false"
        return self._json(failure.status, {"error": error}, headers)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> _Response:
        return _Response(status, json.dumps(body, indent=2).encode("utf-8"), {
            "Content-Type": "application/json", "Request-Id": self._new_id("req_", 14),
            "Stripe-Version": API_VERSION, **(headers or {})})

    def _api(self, method: str, path: str, params: dict[str, Any],
             headers: dict[str, str]) -> _Response:
        key = headers.get("idempotency-key") if method == "POST" else None
        with self._lock:
            try:
                self._authenticate(headers)
                handler, kwargs = self._route(method, path)
                if key and key in self._idempotency:
                    return self._replay(key, method, path, params)
                status, body = handler(params, **kwargs)
                if status < 400 and params.get("expand"):
                    body = self._expand(body, params["expand"])
                response = self._json(status, body)
            except _ApiError as exc:
                response = self._json(exc.status, exc.body, exc.headers)
            if key:
                response.headers["Idempotency-Key"] = key
                # Stripe saves the result once an endpoint has started: not for a refusal of
                # the parameters, but for a success or a declined payment.
                if response.status < 400 or response.status == 402:
                    self._idempotency[key] = (method, path, params, response)
            return response

    def _replay(self, key: str, method: str, path: str, params: dict[str, Any]) -> _Response:
        first_method, first_path, first_params, response = self._idempotency[key]
        if (first_method, first_path) != (method, path):
            raise _ApiError(400, "Keys for idempotent requests can only be used for the same "
                            f"endpoint they were first used for ('{first_method} {first_path}' "
                            f"vs '{method} {path}'). Try using a key other than '{key}' if you "
                            "meant to execute a different request.", kind="idempotency_error")
        if first_params != params:
            raise _ApiError(400, "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            kind="idempotency_error")
        return _Response(response.status, response.body, {
            **response.headers, "Idempotent-Replayed": "true",
            "Request-Id": self._new_id("req_", 14)})

    def _authenticate(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        key = ""
        if auth.startswith("Bearer "):
            key = auth[len("Bearer "):].strip()
        elif auth.startswith("Basic "):
            key = base64.b64decode(auth[len("Basic "):]).decode().split(":")[0]
        if not key:
            raise _ApiError(401, "You did not provide an API key. You need to provide your API "
                            "key in the Authorization header, using Bearer auth (e.g. "
                            "'Authorization: Bearer YOUR_SECRET_KEY').")
        if key != self.api_key:
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            raise _ApiError(401, f"Invalid API Key provided: {shown}")

    def _route(self, method: str, path: str):
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler, match.groupdict()
        raise _ApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _route_table(self):
        return [
            ("POST", "/v1/products", self._product_create),
            ("GET", "/v1/products", self._product_list),
            ("GET", "/v1/products/{id}", self._product_retrieve),
            ("POST", "/v1/products/{id}", self._product_update),
            ("DELETE", "/v1/products/{id}", self._product_delete),
            ("POST", "/v1/prices", self._price_create),
            ("GET", "/v1/prices", self._price_list),
            ("GET", "/v1/prices/{id}", self._price_retrieve),
            ("POST", "/v1/prices/{id}", self._price_update),
            ("POST", "/v1/customers", self._customer_create),
            ("GET", "/v1/customers", self._customer_list),
            ("GET", "/v1/customers/{id}", self._customer_retrieve),
            ("POST", "/v1/customers/{id}", self._customer_update),
            ("DELETE", "/v1/customers/{id}", self._customer_delete),
            ("GET", "/v1/customers/{id}/tax_ids", self._tax_id_list),
            ("POST", "/v1/customers/{id}/tax_ids", self._tax_id_create),
            ("DELETE", "/v1/customers/{id}/tax_ids/{tax_id}", self._tax_id_delete),
            ("POST", "/v1/checkout/sessions", self._checkout_create),
            ("GET", "/v1/checkout/sessions", self._checkout_list),
            ("GET", "/v1/checkout/sessions/{id}", self._checkout_retrieve),
            ("GET", "/v1/checkout/sessions/{id}/line_items", self._checkout_line_items),
            ("POST", "/v1/checkout/sessions/{id}/expire", self._checkout_expire),
            ("POST", "/v1/billing_portal/sessions", self._portal_create),
            ("POST", "/v1/subscriptions", self._subscription_create),
            ("GET", "/v1/subscriptions", self._subscription_list),
            ("GET", "/v1/subscriptions/{id}", self._subscription_retrieve),
            ("POST", "/v1/subscriptions/{id}", self._subscription_update),
            ("DELETE", "/v1/subscriptions/{id}", self._subscription_cancel),
            ("GET", "/v1/subscription_items", self._subscription_item_list),
            ("POST", "/v1/invoiceitems", self._invoice_item_create),
            ("GET", "/v1/invoiceitems", self._invoice_item_list),
            ("GET", "/v1/invoiceitems/{id}", self._invoice_item_retrieve),
            ("DELETE", "/v1/invoiceitems/{id}", self._invoice_item_delete),
            ("POST", "/v1/invoices", self._invoice_create),
            ("GET", "/v1/invoices", self._invoice_list),
            ("GET", "/v1/invoices/{id}", self._invoice_retrieve),
            ("DELETE", "/v1/invoices/{id}", self._invoice_delete),
            ("GET", "/v1/invoices/{id}/lines", self._invoice_lines),
            ("POST", "/v1/invoices/{id}/finalize", self._invoice_finalize),
            ("POST", "/v1/invoices/{id}/pay", self._invoice_pay),
            ("POST", "/v1/invoices/{id}/void", self._invoice_void),
            ("POST", "/v1/billing/meters", self._meter_create),
            ("GET", "/v1/billing/meters", self._meter_list),
            ("GET", "/v1/billing/meters/{id}", self._meter_retrieve),
            ("POST", "/v1/billing/meters/{id}", self._meter_update),
            ("POST", "/v1/billing/meters/{id}/deactivate", self._meter_deactivate),
            ("POST", "/v1/billing/meters/{id}/reactivate", self._meter_reactivate),
            ("GET", "/v1/billing/meters/{id}/event_summaries", self._meter_summaries),
            ("POST", "/v1/billing/meter_events", self._meter_event_create),
            ("GET", "/v1/events", self._event_list),
            ("GET", "/v1/events/{id}", self._event_retrieve),
        ]

    # ---- storage and parameter helpers ---------------------------------------------------------

    def _now(self) -> int:
        return int(time.time()) + self.time_offset

    @staticmethod
    def _new_id(prefix: str, length: int = 24) -> str:
        return prefix + "".join(secrets.choice(_ALPHANUM) for _ in range(length))

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._objects.setdefault(obj["object"], {})[obj["id"]] = obj
        self._by_id[obj["id"]] = obj
        return obj

    def _all(self, kind: str) -> list[dict[str, Any]]:
        return list(self._objects.get(kind, {}).values())

    def _find(self, kind: str, object_id: Any, *, param: str = "id", status: int = 404,
              label: str | None = None) -> dict[str, Any]:
        obj = self._objects.get(kind, {}).get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj.get("deleted"):
            raise _ApiError(status, f"No such {label or kind}: '{object_id}'",
                            code="resource_missing", param=param)
        return obj

    def _render(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        if out.get("object") == "subscription":
            for item in out["items"]["data"]:
                item["price"] = copy.deepcopy(self._by_id.get(item["price"]["id"], item["price"]))
        return out

    def _emit(self, type: str, obj: dict[str, Any],
              previous: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.event(type, self._render(obj), previous_attributes=previous)

    @staticmethod
    def _allow(params: dict[str, Any], allowed: set[str]) -> None:
        for name in params:
            if name != "expand" and name not in allowed:
                raise _ApiError(400, f"Received unknown parameter: {name}",
                                code="parameter_unknown", param=name)

    @staticmethod
    def _require(container: dict[str, Any], name: str, param: str | None = None) -> Any:
        value = container.get(name)
        if value is None or value in ("", {}, []):
            param = param or name
            raise _ApiError(400, f"Missing required param: {param}.", code="parameter_missing",
                            param=param)
        return value

    @staticmethod
    def _string(value: Any, param: str) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _ApiError(400, f"Invalid string: {value!r}", param=param)
        return value

    @staticmethod
    def _int(value: Any, param: str) -> int | None:
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _ApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer",
                            param=param) from None

    @staticmethod
    def _bool(value: Any, param: str, default: bool | None = None) -> bool | None:
        if value is None or value == "":
            return default
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise _ApiError(400, f"Invalid boolean: {value}", param=param)

    @staticmethod
    def _array(value: Any, param: str) -> list[Any]:
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            raise _ApiError(400, "Invalid array", param=param)
        return value

    @staticmethod
    def _choice(value: Any, param: str, choices: tuple[str, ...], default: str | None = None
                ) -> str | None:
        if value is None or value == "":
            return default
        if value not in choices:
            raise _ApiError(400, f"Invalid {param}: must be one of {', '.join(choices)}",
                            param=param)
        return value

    @staticmethod
    def _metadata(value: Any, current: dict[str, str] | None = None,
                  param: str = "metadata") -> dict[str, str]:
        """Stripe's metadata rules: merged on update; an empty value removes a key; an empty
        ``metadata`` clears them all."""
        result = dict(current or {})
        if value is None:
            return result
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise _ApiError(400, "Invalid object", param=param)
        for name, item in value.items():
            if not isinstance(item, str):
                raise _ApiError(400, "Invalid string", param=f"{param}[{name}]")
            if len(name) > 40:
                raise _ApiError(400, "Metadata keys can have up to 40 characters.",
                                param=f"{param}[{name}]")
            if len(item) > 500:
                raise _ApiError(400, "Metadata values can have up to 500 characters.",
                                param=f"{param}[{name}]")
            if item == "":
                result.pop(name, None)
            else:
                result[name] = item
        if len(result) > 50:
            raise _ApiError(400, "Metadata can have up to 50 keys.", param=param)
        return result

    def _list(self, objects: list[dict[str, Any]], url: str,
              params: dict[str, Any]) -> _Result:
        """A list object, newest first, with Stripe's limit / starting_after / ending_before."""
        limit = self._int(params.get("limit"), "limit")
        limit = 10 if limit is None else limit
        if not 1 <= limit <= 100:
            raise _ApiError(400, "Invalid limit: must be between 1 and 100", param="limit")
        ordered = list(reversed(objects))
        ids = [obj["id"] for obj in ordered]
        start, end = 0, len(ordered)
        for cursor in ("starting_after", "ending_before"):
            value = params.get(cursor)
            if value:
                if value not in ids:
                    raise _ApiError(400, f"No such object: '{value}'", code="resource_missing",
                                    param=cursor)
                if cursor == "starting_after":
                    start = ids.index(value) + 1
                else:
                    end = ids.index(value)
                    start = max(0, end - limit)
        page = ordered[start:min(end, start + limit)]
        has_more = (start > 0) if params.get("ending_before") else (start + limit < end)
        return 200, {"object": "list", "data": [self._render(obj) for obj in page],
                     "has_more": has_more, "url": url}

    def _expand(self, body: Any, paths: Any) -> Any:
        for path in self._array(paths, "expand"):
            body = self._expand_path(body, str(path).split("."), str(path))
        return body

    def _expand_path(self, node: Any, parts: list[str], path: str) -> Any:
        if not parts:
            return node
        if isinstance(node, list):
            return [self._expand_path(item, parts, path) for item in node]
        if not isinstance(node, dict):
            return node
        head, rest = parts[0], parts[1:]
        if head not in node:
            virtual = self._virtual_field(node, head)
            if virtual is None:
                raise _ApiError(400, f"This property cannot be expanded ({path}).",
                                param="expand")
            node[head] = virtual
        value = node[head]
        if isinstance(value, str) and value in self._by_id:
            value = self._render(self._by_id[value])
        node[head] = self._expand_path(value, rest, path)
        return node

    def _virtual_field(self, node: dict[str, Any], name: str) -> Any:
        """Fields that Stripe includes only when expanded."""
        if node.get("object") == "checkout.session" and name == "line_items":
            return self._list(list(reversed(self._session_items.get(node["id"], []))),
                              f"/v1/checkout/sessions/{node['id']}/line_items", {})[1]
        if node.get("object") == "customer" and name == "tax_ids":
            return self._list([t for t in self._all("tax_id") if t["customer"] == node["id"]],
                              f"/v1/customers/{node['id']}/tax_ids", {"limit": 100})[1]
        return None

    @staticmethod
    def _amount(price: dict[str, Any], quantity: int | None) -> int:
        """unit_amount_decimal × quantity, in the currency's smallest unit."""
        unit = Decimal(str(price["unit_amount_decimal"] or price["unit_amount"] or 0))
        return int((unit * (quantity or 0)).to_integral_value(ROUND_HALF_UP))

    def _take_decline(self) -> bool:
        if self._declines > 0:
            self._declines -= 1
            return True
        return False

    # ---- products ------------------------------------------------------------------------------

    _PRODUCT_FIELDS = {"active", "description", "metadata", "name", "images", "marketing_features",
                       "statement_descriptor", "tax_code", "unit_label", "url", "shippable"}

    def _product_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, self._PRODUCT_FIELDS | {"id", "default_price_data", "type"})
        name = self._string(self._require(p, "name"), "name")
        product_id = self._string(p.get("id"), "id") or self._new_id("prod_", 14)
        if product_id in self._by_id:
            raise _ApiError(400, "Product already exists.", code="resource_already_exists",
                            param="id")
        now = self._now()
        product = self._store({
            "id": product_id, "object": "product", "active": self._bool(p.get("active"),
                                                                        "active", True),
            "created": now, "default_price": None,
            "description": self._string(p.get("description"), "description"),
            "images": self._array(p.get("images"), "images"), "livemode": False,
            "marketing_features": self._array(p.get("marketing_features"), "marketing_features"),
            "metadata": self._metadata(p.get("metadata")), "name": name,
            "package_dimensions": None, "shippable": self._bool(p.get("shippable"), "shippable"),
            "statement_descriptor": p.get("statement_descriptor") or None,
            "tax_code": p.get("tax_code") or None, "type": "service",
            "unit_label": p.get("unit_label") or None, "updated": now, "url": p.get("url") or None})
        data = p.get("default_price_data")
        if data:
            if not isinstance(data, dict):
                raise _ApiError(400, "Invalid object", param="default_price_data")
            price = self._new_price({**data, "product": product_id}, "default_price_data")
            product["default_price"] = price["id"]
        return 200, self._render(product)

    def _product_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("product", id))

    def _product_update(self, p: dict[str, Any], id: str) -> _Result:
        product = self._find("product", id)
        self._allow(p, self._PRODUCT_FIELDS | {"default_price"})
        for name in ("description", "statement_descriptor", "tax_code", "unit_label", "url"):
            if name in p:
                product[name] = self._string(p[name], name)
        if "name" in p:
            product["name"] = self._string(self._require(p, "name"), "name")
        if "active" in p:
            product["active"] = self._bool(p["active"], "active")
        if "shippable" in p:
            product["shippable"] = self._bool(p["shippable"], "shippable")
        for name in ("images", "marketing_features"):
            if name in p:
                product[name] = self._array(p[name], name)
        if "default_price" in p:
            price = self._find("price", p["default_price"], param="default_price", status=400)
            if price["product"] != product["id"]:
                raise _ApiError(400, "The default price must belong to this product.",
                                param="default_price")
            product["default_price"] = price["id"]
        product["metadata"] = self._metadata(p.get("metadata"), product["metadata"])
        product["updated"] = self._now()
        return 200, self._render(product)

    def _product_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"active", "ids", "shippable", "url", "limit", "starting_after",
                        "ending_before", "created"})
        products = self._all("product")
        active = self._bool(p.get("active"), "active")
        if active is not None:
            products = [x for x in products if x["active"] == active]
        ids = self._array(p.get("ids"), "ids")
        if ids:
            products = [x for x in products if x["id"] in ids]
        if p.get("url"):
            products = [x for x in products if x["url"] == p["url"]]
        return self._list(products, "/v1/products", p)

    def _product_delete(self, p: dict[str, Any], id: str) -> _Result:
        product = self._find("product", id)
        if any(price["product"] == id for price in self._all("price")):
            raise _ApiError(400, "This product cannot be deleted because it has one or more "
                            "user-created prices.")
        del self._objects["product"][id]
        del self._by_id[id]
        return 200, {"id": product["id"], "object": "product", "deleted": True}

    # ---- prices --------------------------------------------------------------------------------

    def _price_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"product", "product_data", "currency", "unit_amount",
                        "unit_amount_decimal", "recurring", "lookup_key", "transfer_lookup_key",
                        "nickname", "metadata", "active", "billing_scheme", "tax_behavior"})
        return 200, self._render(self._new_price(p))

    def _new_price(self, p: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        def param(name: str) -> str:
            return f"{prefix}[{name}]" if prefix else name

        currency = str(self._require(p, "currency", param("currency"))).lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _ApiError(400, f"Invalid currency: {currency}", param=param("currency"))
        if p.get("product_data"):
            data = p["product_data"]
            if not isinstance(data, dict):
                raise _ApiError(400, "Invalid object", param="product_data")
            product_id = self._product_create({
                "name": self._require(data, "name", "product_data[name]"),
                **{k: v for k, v in data.items() if k in ("metadata", "unit_label", "tax_code",
                                                          "active")}})[1]["id"]
        elif p.get("product"):
            product_id = self._find("product", p["product"], param=param("product"),
                                    status=400)["id"]
        else:
            raise _ApiError(400, f"Missing required param: {param('product')}.",
                            code="parameter_missing", param=param("product"))
        unit_amount = self._int(p.get("unit_amount"), param("unit_amount"))
        decimal = p.get("unit_amount_decimal")
        if unit_amount is None and decimal in (None, ""):
            raise _ApiError(400, f"Missing required param: {param('unit_amount')}.",
                            code="parameter_missing", param=param("unit_amount"))
        if unit_amount is not None and unit_amount < 0:
            raise _ApiError(400, "This value must be greater than or equal to 0.",
                            param=param("unit_amount"))
        if unit_amount is None:
            try:
                amount = Decimal(str(decimal))
            except InvalidOperation:
                raise _ApiError(400, f"Invalid decimal: {decimal}",
                                param=param("unit_amount_decimal")) from None
            unit_amount = int(amount) if amount == amount.to_integral_value() else None
        else:
            decimal = str(unit_amount)
        recurring = None
        if p.get("recurring"):
            spec = p["recurring"]
            if not isinstance(spec, dict):
                raise _ApiError(400, "Invalid object", param=param("recurring"))
            interval = self._choice(
                self._require(spec, "interval", f"{param('recurring')}[interval]"),
                f"{param('recurring')}[interval]", _INTERVALS)
            usage_type = self._choice(spec.get("usage_type"), f"{param('recurring')}[usage_type]",
                                      ("licensed", "metered"), "licensed")
            meter = spec.get("meter") or None
            if usage_type == "metered":
                if not meter:
                    raise _ApiError(400, "Metered prices must be backed by a meter: "
                                    f"{param('recurring')}[meter] is required.",
                                    code="parameter_missing", param=f"{param('recurring')}[meter]")
                self._find("billing.meter", meter, param=f"{param('recurring')}[meter]",
                           status=400)
            elif meter:
                raise _ApiError(400, "A meter can only be set on a metered price "
                                "(recurring[usage_type]=metered).",
                                param=f"{param('recurring')}[meter]")
            recurring = {"interval": interval,
                         "interval_count": self._int(spec.get("interval_count"),
                                                     f"{param('recurring')}[interval_count]") or 1,
                         "meter": meter, "trial_period_days": None, "usage_type": usage_type}
        price_id = self._new_id("price_")
        lookup_key = self._string(p.get("lookup_key"), param("lookup_key"))
        if lookup_key:
            self._claim_lookup_key(lookup_key, price_id,
                                   self._bool(p.get("transfer_lookup_key"), "transfer_lookup_key",
                                              False))
        return self._store({
            "id": price_id, "object": "price",
            "active": self._bool(p.get("active"), "active", True),
            "billing_scheme": "per_unit", "created": self._now(), "currency": currency,
            "custom_unit_amount": None, "livemode": False, "lookup_key": lookup_key,
            "metadata": self._metadata(p.get("metadata"), param=param("metadata")),
            "nickname": self._string(p.get("nickname"), param("nickname")),
            "product": product_id, "recurring": recurring,
            "tax_behavior": p.get("tax_behavior") or "unspecified", "tiers_mode": None,
            "transform_quantity": None, "type": "recurring" if recurring else "one_time",
            "unit_amount": unit_amount, "unit_amount_decimal": str(decimal)})

    def _claim_lookup_key(self, lookup_key: str, price_id: str, transfer: bool | None) -> None:
        """Lookup keys are unique among the account's prices, archived ones included (stricter
        than needed if Stripe frees an archived price's key: code passing here passes there);
        ``transfer_lookup_key`` moves the key from the price holding it."""
        if len(lookup_key) > 200:
            raise _ApiError(400, "Lookup keys can have up to 200 characters.", param="lookup_key")
        holder = next((x for x in self._all("price")
                       if x["lookup_key"] == lookup_key and x["id"] != price_id), None)
        if holder is None:
            return
        if not transfer:
            raise _ApiError(400, f"A price (`{holder['id']}`) already uses that lookup key.",
                            param="lookup_key")
        holder["lookup_key"] = None

    def _price_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("price", id))

    def _price_update(self, p: dict[str, Any], id: str) -> _Result:
        price = self._find("price", id)
        self._allow(p, {"active", "metadata", "lookup_key", "transfer_lookup_key", "nickname",
                        "tax_behavior"})
        if "lookup_key" in p:
            lookup_key = self._string(p["lookup_key"], "lookup_key")
            if lookup_key:
                self._claim_lookup_key(lookup_key, price["id"],
                                       self._bool(p.get("transfer_lookup_key"),
                                                  "transfer_lookup_key", False))
            price["lookup_key"] = lookup_key
        if "active" in p:
            price["active"] = self._bool(p["active"], "active")
        if "nickname" in p:
            price["nickname"] = self._string(p["nickname"], "nickname")
        if "tax_behavior" in p:
            price["tax_behavior"] = p["tax_behavior"]
        price["metadata"] = self._metadata(p.get("metadata"), price["metadata"])
        return 200, self._render(price)

    def _price_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"active", "currency", "lookup_keys", "product", "recurring", "type",
                        "limit", "starting_after", "ending_before", "created"})
        prices = self._all("price")
        active = self._bool(p.get("active"), "active")
        if active is not None:
            prices = [x for x in prices if x["active"] == active]
        lookup_keys = self._array(p.get("lookup_keys"), "lookup_keys")
        if len(lookup_keys) > 10:
            raise _ApiError(400, "You can pass up to 10 lookup_keys.", param="lookup_keys")
        if lookup_keys:
            prices = [x for x in prices if x["lookup_key"] in lookup_keys]
        for name in ("currency", "product", "type"):
            if p.get(name):
                prices = [x for x in prices if x[name] == p[name]]
        recurring = p.get("recurring")
        if isinstance(recurring, dict):
            for name in ("interval", "usage_type", "meter"):
                if recurring.get(name):
                    prices = [x for x in prices
                              if x["recurring"] and x["recurring"][name] == recurring[name]]
        return self._list(prices, "/v1/prices", p)

    # ---- customers -----------------------------------------------------------------------------

    _CUSTOMER_FIELDS = {"email", "name", "description", "metadata", "phone", "address",
                        "shipping", "preferred_locales", "invoice_settings", "tax_exempt",
                        "invoice_prefix", "balance", "test_clock", "tax", "next_invoice_sequence"}

    def _customer_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, self._CUSTOMER_FIELDS | {"tax_id_data", "payment_method"})
        tax_ids = self._array(p.get("tax_id_data"), "tax_id_data")
        for index, data in enumerate(tax_ids):  # validate them all before creating anything
            self._tax_id_fields(data, f"tax_id_data[{index}]")
        customer = self._store({
            "id": self._new_id("cus_", 14), "object": "customer", "address": None, "balance": 0,
            "created": self._now(), "currency": None, "default_source": None, "delinquent": False,
            "description": None, "discount": None, "email": None,
            "invoice_prefix": "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                      for _ in range(8)),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                 "footer": None, "rendering_options": None},
            "livemode": False, "metadata": {}, "name": None, "next_invoice_sequence": 1,
            "phone": None, "preferred_locales": [], "shipping": None, "tax_exempt": "none",
            "test_clock": None})
        self._customer_apply(customer, p)
        for index, data in enumerate(tax_ids):
            self._new_tax_id(customer, data, f"tax_id_data[{index}]")
        self._emit("customer.created", customer)
        return 200, self._render(customer)

    def _customer_apply(self, customer: dict[str, Any], p: dict[str, Any]) -> None:
        if "email" in p:
            email = self._string(p["email"], "email")
            if email and not _EMAIL.match(email):
                raise _ApiError(400, f"Invalid email address: {email}", code="email_invalid",
                                param="email")
            customer["email"] = email
        for name in ("name", "description", "phone", "invoice_prefix"):
            if name in p:
                customer[name] = self._string(p[name], name)
        for name in ("address", "shipping"):
            if name in p:
                customer[name] = p[name] or None
        if "preferred_locales" in p:
            customer["preferred_locales"] = self._array(p["preferred_locales"],
                                                        "preferred_locales")
        if "invoice_settings" in p and isinstance(p["invoice_settings"], dict):
            customer["invoice_settings"].update(p["invoice_settings"])
        if "tax_exempt" in p:
            customer["tax_exempt"] = self._choice(p["tax_exempt"], "tax_exempt",
                                                  ("none", "exempt", "reverse"), "none")
        if "balance" in p:
            customer["balance"] = self._int(p["balance"], "balance") or 0
        customer["metadata"] = self._metadata(p.get("metadata"), customer["metadata"])

    def _customer_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        customer = self._objects.get("customer", {}).get(id)
        if customer is not None and customer.get("deleted"):
            return 200, dict(customer)
        return 200, self._render(self._find("customer", id))

    def _customer_update(self, p: dict[str, Any], id: str) -> _Result:
        customer = self._find("customer", id)
        self._allow(p, self._CUSTOMER_FIELDS)
        before = self._render(customer)
        self._customer_apply(customer, p)
        changed = {k: v for k, v in before.items() if customer.get(k) != v}
        if changed:
            self._emit("customer.updated", customer, changed)
        return 200, self._render(customer)

    def _customer_delete(self, p: dict[str, Any], id: str) -> _Result:
        customer = self._find("customer", id)
        for sub in self._all("subscription"):
            if sub["customer"] == id and sub["status"] not in ("canceled", "incomplete_expired"):
                self._cancel(sub)
        self._emit("customer.deleted", customer)
        stub = {"id": id, "object": "customer", "deleted": True}
        self._objects["customer"][id] = stub
        self._by_id[id] = stub
        return 200, dict(stub)

    def _customer_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"email", "limit", "starting_after", "ending_before", "created",
                        "test_clock"})
        customers = [x for x in self._all("customer") if not x.get("deleted")]
        if p.get("email"):  # exact and case-sensitive, like Stripe
            customers = [x for x in customers if x["email"] == p["email"]]
        return self._list(customers, "/v1/customers", p)

    def _tax_id_fields(self, data: Any, param: str) -> tuple[str, str]:
        if not isinstance(data, dict):
            raise _ApiError(400, "Invalid object", param=param)
        kind = self._string(self._require(data, "type", f"{param}[type]"), f"{param}[type]")
        value = self._string(self._require(data, "value", f"{param}[value]"), f"{param}[value]")
        if not re.fullmatch(r"[a-z]{2}_[a-z_]+", kind or ""):
            raise _ApiError(400, f"Invalid {param}[type]: {kind}", param=f"{param}[type]")
        value = re.sub(r"[\s.-]", "", value or "").upper()
        if kind == "eu_vat" and not re.fullmatch(r"[A-Z]{2}[0-9A-Z+*]{2,13}", value):
            raise _ApiError(400, "Invalid value for eu_vat.", code="tax_id_invalid",
                            param=f"{param}[value]")
        return kind, value

    def _new_tax_id(self, customer: dict[str, Any], data: Any, param: str) -> dict[str, Any]:
        kind, value = self._tax_id_fields(data, param)
        country = value[:2] if kind == "eu_vat" else kind[:2].upper()
        return self._store({
            "id": self._new_id("txi_"), "object": "tax_id",
            "country": "GR" if country == "EL" else country, "created": self._now(),
            "customer": customer["id"], "livemode": False, "type": kind, "value": value,
            "verification": {"status": "pending", "verified_address": None,
                             "verified_name": None}})

    def _tax_id_list(self, p: dict[str, Any], id: str) -> _Result:
        self._find("customer", id)
        return self._list([t for t in self._all("tax_id") if t["customer"] == id],
                          f"/v1/customers/{id}/tax_ids", p)

    def _tax_id_create(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"type", "value"})
        return 200, self._render(self._new_tax_id(self._find("customer", id), p, "tax_id"))

    def _tax_id_delete(self, p: dict[str, Any], id: str,
                       tax_id: str) -> _Result:
        self._find("customer", id)
        tax = self._find("tax_id", tax_id)
        del self._objects["tax_id"][tax["id"]]
        del self._by_id[tax["id"]]
        return 200, {"id": tax["id"], "object": "tax_id", "deleted": True}

    # ---- checkout and portal -----------------------------------------------------------------

    def _checkout_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"mode", "customer", "customer_email", "customer_creation", "line_items",
                        "success_url", "cancel_url", "return_url", "client_reference_id",
                        "metadata", "subscription_data", "allow_promotion_codes",
                        "automatic_tax", "tax_id_collection", "billing_address_collection",
                        "customer_update", "locale", "payment_method_types", "ui_mode",
                        "discounts", "consent_collection", "expires_at", "invoice_creation",
                        "payment_intent_data", "phone_number_collection", "currency",
                        "payment_method_collection", "custom_text", "custom_fields"})
        mode = self._choice(self._require(p, "mode"), "mode",
                            ("payment", "setup", "subscription"))
        if p.get("customer") and p.get("customer_email"):
            raise _ApiError(400, "You may only specify one of these parameters: customer, "
                            "customer_email.", param="customer_email")
        customer = (self._find("customer", p["customer"], param="customer", status=400)
                    if p.get("customer") else None)
        ui_mode = self._choice(p.get("ui_mode"), "ui_mode", ("hosted", "embedded", "custom"),
                               "hosted")
        if ui_mode != "hosted" and not p.get("return_url"):
            raise _ApiError(400, "Missing required param: return_url.", code="parameter_missing",
                            param="return_url")
        items = self._array(p.get("line_items"), "line_items")
        if mode != "setup" and not items:
            raise _ApiError(400, "Missing required param: line_items.", code="parameter_missing",
                            param="line_items")
        session_id = self._new_id("cs_test_", 58)
        line_items, currency, subtotal = [], None, 0
        for index, spec in enumerate(items):
            param = f"line_items[{index}]"
            if not isinstance(spec, dict):
                raise _ApiError(400, "Invalid object", param=param)
            price = self._find("price", self._require(spec, "price", f"{param}[price]"),
                               param=f"{param}[price]", status=400)
            if not price["active"]:
                raise _ApiError(400, "The price specified is inactive. This field only accepts "
                                "active prices.", param=f"{param}[price]")
            metered = bool(price["recurring"]) and price["recurring"]["usage_type"] == "metered"
            quantity = self._int(spec.get("quantity"), f"{param}[quantity]")
            if metered and quantity is not None:
                raise _ApiError(400, "Quantity should not be specified where usage_type is "
                                f"`metered`. Remove quantity from `{param}`.",
                                param=f"{param}[quantity]")
            if not metered and quantity is None:
                raise _ApiError(400, f"Quantity is required. Add `quantity` to `{param}`",
                                code="parameter_missing", param=f"{param}[quantity]")
            if mode == "payment" and price["recurring"]:
                raise _ApiError(400, "You specified `payment` mode but passed a recurring price. "
                                "Either switch to `subscription` mode or use only one-time "
                                "prices.", param=f"{param}[price]")
            if currency and price["currency"] != currency:
                raise _ApiError(400, "All prices on a Checkout Session must have the same "
                                "currency.", param=f"{param}[price]")
            currency = price["currency"]
            amount = 0 if metered else self._amount(price, quantity)
            subtotal += amount
            line_items.append({
                "id": self._new_id("li_"), "object": "item", "amount_discount": 0,
                "amount_subtotal": amount, "amount_tax": 0, "amount_total": amount,
                "currency": currency,
                "description": self._by_id.get(price["product"], {}).get("name"),
                "price": copy.deepcopy(price), "quantity": quantity})
        if mode == "subscription" and not any(li["price"]["recurring"] for li in line_items):
            raise _ApiError(400, "You must provide at least one recurring price in "
                            "`subscription` mode when using prices.", param="line_items")
        subscription_data = p.get("subscription_data") or {}
        if subscription_data and mode != "subscription":
            raise _ApiError(400, "You can only specify `subscription_data` in `subscription` "
                            "mode.", param="subscription_data")
        if not isinstance(subscription_data, dict):
            raise _ApiError(400, "Invalid object", param="subscription_data")
        self._metadata(subscription_data.get("metadata"), param="subscription_data[metadata]")
        self._int(subscription_data.get("trial_period_days"),
                  "subscription_data[trial_period_days]")
        now = self._now()
        session = self._store({
            "id": session_id, "object": "checkout.session", "after_expiration": None,
            "allow_promotion_codes": self._bool(p.get("allow_promotion_codes"),
                                                "allow_promotion_codes"),
            "amount_subtotal": subtotal if mode != "setup" else None,
            "amount_total": subtotal if mode != "setup" else None,
            "automatic_tax": {"enabled": bool(self._bool(
                (p.get("automatic_tax") or {}).get("enabled"), "automatic_tax[enabled]")),
                "liability": None, "status": None},
            "billing_address_collection": p.get("billing_address_collection") or None,
            "cancel_url": p.get("cancel_url") or None,
            "client_reference_id": self._string(p.get("client_reference_id"),
                                                "client_reference_id"),
            "client_secret": (f"{session_id}_secret_{self._new_id('', 16)}"
                              if ui_mode != "hosted" else None),
            "created": now, "currency": currency,
            "customer": customer["id"] if customer else None,
            "customer_creation": p.get("customer_creation") or (
                None if customer else "if_required"),
            "customer_details": ({"email": customer["email"], "name": customer["name"],
                                  "address": customer["address"], "phone": customer["phone"],
                                  "tax_exempt": customer["tax_exempt"], "tax_ids": []}
                                 if customer else None),
            "customer_email": p.get("customer_email") or None, "expires_at": now + _DAY,
            "invoice": None, "livemode": False, "locale": p.get("locale") or None,
            "metadata": self._metadata(p.get("metadata")), "mode": mode,
            "payment_intent": None, "payment_link": None,
            "payment_method_types": self._array(p.get("payment_method_types"),
                                                "payment_method_types") or ["card"],
            "payment_status": "unpaid" if mode != "setup" else "no_payment_required",
            "return_url": p.get("return_url") or None, "setup_intent": None,
            "status": "open", "subscription": None, "success_url": p.get("success_url") or None,
            "ui_mode": ui_mode,
            "url": f"{self.url}/checkout/{session_id}" if ui_mode == "hosted" else None})
        self._session_items[session_id] = line_items
        self._session_data[session_id] = copy.deepcopy(subscription_data)
        return 200, self._render(session)

    def _checkout_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("checkout.session", id))

    def _checkout_line_items(self, p: dict[str, Any], id: str) -> _Result:
        self._find("checkout.session", id)
        return self._list(list(reversed(self._session_items.get(id, []))),
                          f"/v1/checkout/sessions/{id}/line_items", p)

    def _checkout_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "subscription", "status", "payment_intent", "limit",
                        "starting_after", "ending_before", "created"})
        sessions = self._all("checkout.session")
        for name in ("customer", "subscription", "status", "payment_intent"):
            if p.get(name):
                sessions = [x for x in sessions if x[name] == p[name]]
        return self._list(sessions, "/v1/checkout/sessions", p)

    def _checkout_expire(self, p: dict[str, Any], id: str) -> _Result:
        session = self._find("checkout.session", id)
        if session["status"] != "open":
            raise _ApiError(400, "Only Checkout Sessions with a status in [\"open\"] can be "
                            "expired.")
        session["status"] = "expired"
        session["url"] = None
        self._emit("checkout.session.expired", session)
        return 200, self._render(session)

    def _complete_checkout(self, session: dict[str, Any]) -> dict[str, Any]:
        customer = self._by_id.get(session["customer"] or "")
        if customer is None:
            customer = self._by_id[self._customer_create(
                {"email": session["customer_email"]} if session["customer_email"] else {}
            )[1]["id"]]
        items = self._session_items.get(session["id"], [])
        data = self._session_data.get(session["id"], {})
        if session["mode"] == "subscription":
            recurring = [(self._by_id.get(li["price"]["id"], li["price"]), li["quantity"])
                         for li in items if li["price"]["recurring"]]
            one_time = [(self._by_id.get(li["price"]["id"], li["price"]), li["quantity"])
                        for li in items if not li["price"]["recurring"]]
            trial = self._int(data.get("trial_period_days"), "trial_period_days")
            sub = self._new_subscription(customer, recurring,
                                         metadata=self._metadata(data.get("metadata")),
                                         trial_period_days=trial,
                                         description=data.get("description") or None)
            self._emit("customer.subscription.created", sub)
            invoice = self._subscription_invoice(sub, "subscription_create", extra=one_time)
            if invoice["status"] != "paid":
                self._mark_paid(invoice)
            self._emit("invoice.paid", invoice)
            self._emit("invoice.payment_succeeded", invoice)
            session["subscription"] = sub["id"]
            session["invoice"] = invoice["id"]
        elif session["mode"] == "payment":
            session["payment_intent"] = self._new_id("pi_")
        else:
            session["setup_intent"] = self._new_id("seti_")
        session.update({
            "customer": customer["id"], "status": "complete", "url": None,
            "payment_status": ("paid" if session["amount_total"] else "no_payment_required"),
            "customer_details": {"email": customer["email"], "name": customer["name"],
                                 "address": customer["address"], "phone": customer["phone"],
                                 "tax_exempt": customer["tax_exempt"], "tax_ids": []}})
        return self._emit("checkout.session.completed", session)

    def _portal_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "return_url", "configuration", "flow_data", "locale",
                        "on_behalf_of"})
        customer = self._find("customer", self._require(p, "customer"), param="customer",
                              status=400)
        session_id = self._new_id("bps_")
        return 200, self._store({
            "id": session_id, "object": "billing_portal.session",
            "configuration": p.get("configuration") or self._portal_configuration,
            "created": self._now(), "customer": customer["id"], "flow": None, "livemode": False,
            "locale": p.get("locale") or None, "on_behalf_of": None,
            "return_url": p.get("return_url") or None, "url": f"{self.url}/portal/{session_id}"})

    # ---- subscriptions -------------------------------------------------------------------------

    def _new_subscription(self, customer: dict[str, Any], lines: list[tuple[dict, int | None]], *,
                          metadata: dict[str, str], trial_period_days: int | None = None,
                          description: str | None = None, collection_method: str =
                          "charge_automatically") -> dict[str, Any]:
        now = self._now()
        recurring = lines[0][0]["recurring"]
        trial_end = now + trial_period_days * _DAY if trial_period_days else None
        period_end = trial_end or _add_interval(now, recurring["interval"],
                                                recurring["interval_count"])
        sub_id = self._new_id("sub_")
        sub = {
            "id": sub_id, "object": "subscription", "application": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": period_end if trial_end else now,
            "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": collection_method, "created": now,
            "currency": lines[0][0]["currency"], "current_period_end": period_end,
            "current_period_start": now, "customer": customer["id"], "days_until_due": None,
            "default_payment_method": None, "description": description, "discounts": [],
            "ended_at": None,
            "items": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": f"/v1/subscription_items?subscription={sub_id}"},
            "latest_invoice": None, "livemode": False, "metadata": metadata,
            "pause_collection": None, "start_date": now,
            "status": "trialing" if trial_end else "active", "trial_end": trial_end,
            "trial_start": now if trial_end else None}
        self._store(sub)
        for price, quantity in lines:
            self._add_item(sub, price, quantity)
        return sub

    def _add_item(self, sub: dict[str, Any], price: dict[str, Any], quantity: int | None,
                  metadata: dict[str, str] | None = None) -> dict[str, Any]:
        item = {"id": self._new_id("si_", 14), "object": "subscription_item",
                "created": self._now(), "current_period_end": sub["current_period_end"],
                "current_period_start": sub["current_period_start"], "discounts": [],
                "metadata": metadata or {}, "price": copy.deepcopy(price),
                "subscription": sub["id"], "tax_rates": []}
        if price["recurring"]["usage_type"] != "metered":
            item["quantity"] = 1 if quantity is None else quantity
        sub["items"]["data"].append(item)
        sub["items"]["total_count"] = len(sub["items"]["data"])
        self._by_id[item["id"]] = item
        return item

    def _subscription_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "items", "metadata", "trial_period_days", "payment_behavior",
                        "collection_method", "days_until_due", "default_payment_method",
                        "description", "cancel_at_period_end", "proration_behavior",
                        "automatic_tax", "off_session", "currency", "payment_settings"})
        customer = self._find("customer", self._require(p, "customer"), param="customer",
                              status=400)
        lines = self._item_specs(self._array(self._require(p, "items"), "items"))
        behavior = self._choice(p.get("payment_behavior"), "payment_behavior",
                                ("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                 "pending_if_incomplete"), "allow_incomplete")
        collection = self._choice(p.get("collection_method"), "collection_method",
                                  ("charge_automatically", "send_invoice"),
                                  "charge_automatically")
        if collection == "send_invoice" and not p.get("days_until_due"):
            raise _ApiError(400, "Missing required param: days_until_due.",
                            code="parameter_missing", param="days_until_due")
        trial = self._int(p.get("trial_period_days"), "trial_period_days")
        first_charge = 0 if trial else sum(
            self._amount(price, quantity if quantity is not None else 1)
            for price, quantity in lines if price["recurring"]["usage_type"] != "metered")
        declined = (collection == "charge_automatically" and first_charge > 0
                    and behavior != "default_incomplete" and self._take_decline())
        if declined and behavior == "error_if_incomplete":
            raise _ApiError(402, "Your card was declined.", kind="card_error",
                            code="card_declined", decline_code="generic_decline")
        sub = self._new_subscription(customer, lines, metadata=self._metadata(p.get("metadata")),
                                     trial_period_days=trial,
                                     description=self._string(p.get("description"),
                                                              "description"),
                                     collection_method=collection)
        sub["days_until_due"] = self._int(p.get("days_until_due"), "days_until_due")
        sub["cancel_at_period_end"] = bool(self._bool(p.get("cancel_at_period_end"),
                                                      "cancel_at_period_end"))
        invoice = self._subscription_invoice(sub, "subscription_create")
        if invoice["status"] != "paid" and collection == "charge_automatically":
            if behavior == "default_incomplete" or declined:
                sub["status"] = "incomplete"
                if declined:
                    invoice["attempted"] = True
                    invoice["attempt_count"] += 1
            else:
                self._mark_paid(invoice)
        self._emit("customer.subscription.created", sub)
        return 200, self._render(sub)

    def _item_specs(self, items: list[Any], param: str = "items"
                    ) -> list[tuple[dict[str, Any], int | None]]:
        lines = []
        for index, spec in enumerate(items):
            if not isinstance(spec, dict):
                raise _ApiError(400, "Invalid object", param=f"{param}[{index}]")
            price = self._subscription_price(spec, f"{param}[{index}]")
            lines.append((price, self._item_quantity(spec, price, f"{param}[{index}]")))
        self._check_item_prices([price for price, _ in lines])
        return lines

    def _subscription_price(self, spec: dict[str, Any], param: str) -> dict[str, Any]:
        price = self._find("price", self._require(spec, "price", f"{param}[price]"),
                           param=f"{param}[price]", status=400)
        if not price["recurring"]:
            raise _ApiError(400, "The price specified is set to `type=one_time` but this field "
                            "only accepts prices with `type=recurring`.", param=f"{param}[price]")
        if not price["active"]:
            raise _ApiError(400, "The price specified is inactive. This field only accepts "
                            "active prices.", param=f"{param}[price]")
        return price

    def _item_quantity(self, spec: dict[str, Any], price: dict[str, Any],
                       param: str) -> int | None:
        quantity = self._int(spec.get("quantity"), f"{param}[quantity]")
        if price["recurring"]["usage_type"] == "metered" and quantity is not None:
            raise _ApiError(400, "Quantity should not be specified where usage_type is "
                            f"`metered`. Remove quantity from `{param}`.",
                            param=f"{param}[quantity]")
        if quantity is not None and quantity < 0:
            raise _ApiError(400, "This value must be greater than or equal to 0.",
                            param=f"{param}[quantity]")
        return quantity

    @staticmethod
    def _check_item_prices(prices: list[dict[str, Any]]) -> None:
        if not prices:
            raise _ApiError(400, "Missing required param: items.", code="parameter_missing",
                            param="items")
        seen = set()
        for price in prices:
            if price["id"] in seen:
                raise _ApiError(400, "Cannot add multiple subscription items with the same "
                                f"plan: {price['id']}", param="items")
            seen.add(price["id"])
        first = prices[0]
        for price in prices[1:]:
            for name in ("currency",):
                if price[name] != first[name]:
                    raise _ApiError(400, "Currency and interval fields must match across all "
                                    "plans on this subscription. Found mismatch in currency "
                                    "field.", param="items")
            if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
                    first["recurring"]["interval"], first["recurring"]["interval_count"]):
                raise _ApiError(400, "Currency and interval fields must match across all plans "
                                "on this subscription. Found mismatch in interval field.",
                                param="items")

    def _subscription_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("subscription", id))

    def _subscription_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "price", "status", "limit", "starting_after",
                        "ending_before", "created", "collection_method", "test_clock"})
        subs = self._all("subscription")
        status = self._choice(p.get("status"), "status", (*_SUBSCRIPTION_STATUSES, "all",
                                                          "ended"))
        if status is None:  # Stripe leaves canceled subscriptions out unless asked
            subs = [s for s in subs if s["status"] != "canceled"]
        elif status == "ended":
            subs = [s for s in subs if s["status"] in ("canceled", "incomplete_expired")]
        elif status != "all":
            subs = [s for s in subs if s["status"] == status]
        if p.get("customer"):
            subs = [s for s in subs if s["customer"] == p["customer"]]
        if p.get("price"):
            subs = [s for s in subs
                    if any(i["price"]["id"] == p["price"] for i in s["items"]["data"])]
        return self._list(subs, "/v1/subscriptions", p)

    def _subscription_update(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"items", "metadata", "cancel_at_period_end", "cancel_at",
                        "proration_behavior", "description", "default_payment_method",
                        "payment_behavior", "cancellation_details", "collection_method",
                        "days_until_due", "off_session", "proration_date", "trial_end"})
        sub = self._find("subscription", id)
        if sub["status"] in ("canceled", "incomplete_expired") and (
                set(p) - {"metadata", "cancellation_details", "expand"}):
            raise _ApiError(400, "A canceled subscription can only update its "
                            "cancellation_details and metadata.")
        before = self._render(sub)
        if "items" in p:
            self._update_items(sub, self._array(p["items"], "items"))
        if "cancel_at_period_end" in p:
            at_end = bool(self._bool(p["cancel_at_period_end"], "cancel_at_period_end"))
            sub["cancel_at_period_end"] = at_end
            sub["cancel_at"] = sub["current_period_end"] if at_end else None
            sub["canceled_at"] = self._now() if at_end else None
            sub["cancellation_details"]["reason"] = "cancellation_requested" if at_end else None
        if "cancel_at" in p:
            sub["cancel_at"] = self._int(p["cancel_at"], "cancel_at")
        if "description" in p:
            sub["description"] = self._string(p["description"], "description")
        if "default_payment_method" in p:
            sub["default_payment_method"] = p["default_payment_method"] or None
        if isinstance(p.get("cancellation_details"), dict):
            for name in ("comment", "feedback"):
                if name in p["cancellation_details"]:
                    sub["cancellation_details"][name] = p["cancellation_details"][name] or None
        if p.get("trial_end") == "now" and sub["status"] == "trialing":
            sub["status"], sub["trial_end"] = "active", self._now()
        sub["metadata"] = self._metadata(p.get("metadata"), sub["metadata"])
        after = self._render(sub)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            self._emit("customer.subscription.updated", sub, previous)
        return 200, after

    def _update_items(self, sub: dict[str, Any], specs: list[Any]) -> None:
        items = sub["items"]["data"]
        interval_before = (items[0]["price"]["recurring"]["interval"] if items else None)
        for index, spec in enumerate(specs):
            param = f"items[{index}]"
            if not isinstance(spec, dict):
                raise _ApiError(400, "Invalid object", param=param)
            if spec.get("id"):
                item = next((i for i in items if i["id"] == spec["id"]), None)
                if item is None:
                    raise _ApiError(400, f"No such subscription item: '{spec['id']}'",
                                    code="resource_missing", param=f"{param}[id]")
                if self._bool(spec.get("deleted"), f"{param}[deleted]"):
                    items.remove(item)
                    continue
                if spec.get("price"):
                    item["price"] = copy.deepcopy(self._subscription_price(spec, param))
                    if item["price"]["recurring"]["usage_type"] == "metered":
                        item.pop("quantity", None)
                    else:
                        item.setdefault("quantity", 1)
                quantity = self._item_quantity(spec, item["price"], param)
                if quantity is not None:
                    item["quantity"] = quantity
                item["metadata"] = self._metadata(spec.get("metadata"), item["metadata"],
                                                  f"{param}[metadata]")
            else:
                price = self._subscription_price(spec, param)
                self._add_item(sub, price, self._item_quantity(spec, price, param),
                               self._metadata(spec.get("metadata"),
                                              param=f"{param}[metadata]"))
        self._check_item_prices([self._by_id.get(i["price"]["id"], i["price"]) for i in items])
        interval = items[0]["price"]["recurring"]
        if interval["interval"] != interval_before:  # a new interval restarts the cycle
            now = self._now()
            sub["current_period_start"] = sub["billing_cycle_anchor"] = now
            sub["current_period_end"] = _add_interval(now, interval["interval"],
                                                      interval["interval_count"])
        for item in items:
            item["current_period_start"] = sub["current_period_start"]
            item["current_period_end"] = sub["current_period_end"]
            self._by_id[item["id"]] = item
        sub["items"]["total_count"] = len(items)

    def _subscription_cancel(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"invoice_now", "prorate", "cancellation_details"})
        sub = self._find("subscription", id)
        if sub["status"] in ("canceled", "incomplete_expired"):
            # Stripe no longer finds a canceled subscription for a second cancellation.
            raise _ApiError(404, f"No such subscription: '{id}'", code="resource_missing",
                            param="id")
        self._cancel(sub)
        return 200, self._render(sub)

    def _cancel(self, sub: dict[str, Any]) -> None:
        previous = {"status": sub["status"]}
        now = self._now()
        sub.update(status="canceled", canceled_at=sub["canceled_at"] or now, ended_at=now)
        sub["cancellation_details"]["reason"] = "cancellation_requested"
        self._emit("customer.subscription.deleted", sub, previous)

    def _subscription_item_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"subscription", "limit", "starting_after", "ending_before"})
        sub = self._find("subscription", self._require(p, "subscription"),
                         param="subscription", status=400)
        return self._list(list(reversed(sub["items"]["data"])),
                          f"/v1/subscription_items?subscription={sub['id']}", p)

    def _renewal_invoice(self, subscription_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        sub = self._objects.get("subscription", {}).get(subscription_id)
        if sub is None:
            raise KeyError(subscription_id)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise ValueError(f"Subscription {subscription_id} is {sub['status']}.")
        open_invoices = [i for i in self._all("invoice")
                         if i["subscription"] == sub["id"] and i["status"] == "open"]
        if open_invoices:
            return sub, open_invoices[-1]
        # a new billing period: usage of the one ending, licensed items for the next
        usage_start, usage_end = sub["current_period_start"], sub["current_period_end"]
        recurring = sub["items"]["data"][0]["price"]["recurring"]
        sub["current_period_start"] = usage_end
        sub["current_period_end"] = _add_interval(usage_end, recurring["interval"],
                                                  recurring["interval_count"])
        for item in sub["items"]["data"]:
            item["current_period_start"] = sub["current_period_start"]
            item["current_period_end"] = sub["current_period_end"]
        if sub["status"] == "trialing":
            sub["status"] = "active"
        invoice = self._subscription_invoice(sub, "subscription_cycle",
                                             usage=(usage_start, usage_end))
        return sub, invoice

    # ---- invoices --------------------------------------------------------------------------------

    def _line(self, *, amount: int, currency: str, description: str | None, period: tuple[int, int],
              quantity: int | None = 1, price: dict[str, Any] | None = None,
              metadata: dict[str, str] | None = None, parent: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        return {
            "id": self._new_id("il_"), "object": "line_item", "amount": amount,
            "currency": currency, "description": description, "discount_amounts": [],
            "discountable": True, "discounts": [], "invoice": None, "livemode": False,
            "metadata": metadata or {}, "parent": parent,
            "period": {"start": period[0], "end": period[1]},
            "price": copy.deepcopy(price),  # the pre-2025 field, kept for older code
            "pricing": ({"type": "price_details", "unit_amount_decimal":
                         price["unit_amount_decimal"],
                         "price_details": {"price": price["id"], "product": price["product"]}}
                        if price else None),
            "proration": False, "quantity": quantity, "taxes": []}

    def _subscription_invoice(self, sub: dict[str, Any], billing_reason: str, *,
                              usage: tuple[int, int] | None = None,
                              extra: list[tuple[dict, int | None]] = ()) -> dict[str, Any]:
        """A finalized invoice for a subscription: licensed items for the current period (at
        no charge during a trial), metered items from the meter events of ``usage``."""
        period = (sub["current_period_start"], sub["current_period_end"])
        trialing = sub["status"] == "trialing"
        lines = []
        for item in sub["items"]["data"]:
            price = self._by_id.get(item["price"]["id"], item["price"])
            product = self._by_id.get(price["product"], {}).get("name", price["product"])
            parent = {"type": "subscription_item_details", "subscription_item_details": {
                "invoice_item": None, "proration": False, "proration_details": None,
                "subscription": sub["id"], "subscription_item": item["id"]}}
            if price["recurring"]["usage_type"] == "metered":
                quantity = self._usage(price, sub["customer"], *usage) if usage else 0
                unit = Decimal(price["unit_amount_decimal"])
                lines.append(self._line(
                    amount=int((unit * Decimal(str(quantity))).to_integral_value()),
                    currency=price["currency"], description=f"{product} (usage)",
                    period=usage or period, quantity=quantity, price=price, parent=parent))
            else:
                quantity = item.get("quantity", 1)
                amount = 0 if trialing else self._amount(price, quantity)
                description = (f"Trial period for {product}" if trialing
                               else f"{quantity} × {product}")
                lines.append(self._line(amount=amount, currency=price["currency"],
                                        description=description, period=period,
                                        quantity=quantity, price=price, parent=parent))
        for price, quantity in extra:
            product = self._by_id.get(price["product"], {}).get("name", price["product"])
            lines.append(self._line(amount=self._amount(price, quantity or 1),
                                    currency=price["currency"], description=product,
                                    period=period, quantity=quantity or 1, price=price))
        customer = self._by_id[sub["customer"]]
        invoice = self._new_invoice(customer, lines, currency=sub["currency"],
                                    billing_reason=billing_reason, subscription=sub,
                                    period=usage or (period[0], period[0]),
                                    collection_method=sub["collection_method"],
                                    days_until_due=sub["days_until_due"])
        self._emit("invoice.created", invoice)
        sub["latest_invoice"] = invoice["id"]
        self._finalize(invoice)
        return invoice

    def _usage(self, price: dict[str, Any], customer_id: str, start: int, end: int) -> float | int:
        meter = self._by_id.get(price["recurring"]["meter"] or "")
        if meter is None:
            return 0
        customer_key = meter["customer_mapping"]["event_payload_key"]
        value_key = meter["value_settings"]["event_payload_key"]
        values = []
        for event in self.meter_events:
            if (event["event_name"] == meter["event_name"]
                    and event["payload"].get(customer_key) == customer_id
                    and start <= event["timestamp"] < end):
                try:
                    values.append(Decimal(str(event["payload"].get(value_key, "0"))))
                except InvalidOperation:
                    continue
        formula = meter["default_aggregation"]["formula"]
        total = (len(values) if formula == "count" else
                 (values[-1] if values else 0) if formula == "last" else sum(values))
        total = Decimal(total)
        return int(total) if total == total.to_integral_value() else float(total)

    def _new_invoice(self, customer: dict[str, Any], lines: list[dict[str, Any]], *,
                     currency: str, billing_reason: str = "manual",
                     subscription: dict[str, Any] | None = None,
                     period: tuple[int, int] | None = None,
                     collection_method: str = "charge_automatically",
                     days_until_due: int | None = None, auto_advance: bool = False,
                     description: str | None = None,
                     metadata: dict[str, str] | None = None) -> dict[str, Any]:
        now = self._now()
        invoice_id = self._new_id("in_")
        for line in lines:
            line["invoice"] = invoice_id
        invoice = {
            "id": invoice_id, "object": "invoice", "account_country": "FR",
            "account_name": "FakeStripe", "amount_due": 0, "amount_paid": 0,
            "amount_remaining": 0, "amount_shipping": 0, "attempt_count": 0,
            "attempted": False, "auto_advance": auto_advance,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                              "status": None},
            "billing_reason": billing_reason, "collection_method": collection_method,
            "created": now, "currency": currency, "customer": customer["id"],
            "customer_address": customer["address"], "customer_email": customer["email"],
            "customer_name": customer["name"], "customer_phone": customer["phone"],
            "customer_tax_exempt": customer["tax_exempt"],
            # As Stripe does: the customer's invoice custom fields are printed on each new
            # invoice (purchase-order numbers, SIRET).
            "custom_fields": (customer["invoice_settings"].get("custom_fields") or None),
            "customer_tax_ids": [{"type": t["type"], "value": t["value"]}
                                 for t in self._all("tax_id") if t["customer"] == customer["id"]],
            "default_payment_method": None, "description": description, "discounts": [],
            "due_date": (now + days_until_due * _DAY
                         if collection_method == "send_invoice" and days_until_due else None),
            "effective_at": None, "ending_balance": None, "footer": None,
            "hosted_invoice_url": None, "invoice_pdf": None,
            "lines": {"object": "list", "data": lines, "has_more": False,
                      "total_count": len(lines), "url": f"/v1/invoices/{invoice_id}/lines"},
            "livemode": False, "metadata": metadata or {}, "next_payment_attempt": None,
            "number": None,
            "parent": ({"type": "subscription_details", "quote_details": None,
                        "subscription_details": {"metadata": dict(subscription["metadata"]),
                                                 "subscription": subscription["id"]}}
                       if subscription else None),
            "period_end": (period or (now, now))[1], "period_start": (period or (now, now))[0],
            "starting_balance": 0, "status": "draft",
            "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                                   "paid_at": None, "voided_at": None},
            "subscription": subscription["id"] if subscription else None,  # pre-2025 field
            "subtotal": 0, "total": 0, "total_excluding_tax": 0, "webhooks_delivered_at": now}
        self._totals(invoice)
        return self._store(invoice)

    @staticmethod
    def _totals(invoice: dict[str, Any]) -> None:
        total = sum(line["amount"] for line in invoice["lines"]["data"])
        invoice["lines"]["total_count"] = len(invoice["lines"]["data"])
        invoice.update(subtotal=total, total=total, total_excluding_tax=total, amount_due=total,
                       amount_remaining=total - invoice["amount_paid"])

    def _finalize(self, invoice: dict[str, Any]) -> None:
        customer = self._by_id[invoice["customer"]]
        sequence = customer.get("next_invoice_sequence", 1)
        invoice["number"] = f"{customer.get('invoice_prefix', 'FAKE')}-{sequence:04d}"
        if "next_invoice_sequence" in customer:
            customer["next_invoice_sequence"] = sequence + 1
        invoice["status"] = "open"
        invoice["effective_at"] = invoice["status_transitions"]["finalized_at"] = self._now()
        invoice["hosted_invoice_url"] = f"{self.url}/invoices/{invoice['id']}"
        invoice["invoice_pdf"] = f"{self.url}/invoices/{invoice['id']}/pdf"
        if customer.get("currency") is None and "currency" in customer:
            customer["currency"] = invoice["currency"]
        self._emit("invoice.finalized", invoice)
        if invoice["amount_due"] == 0:
            self._mark_paid(invoice)

    def _mark_paid(self, invoice: dict[str, Any]) -> None:
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                       next_payment_attempt=None, attempted=True)
        invoice["status_transitions"]["paid_at"] = self._now()

    def _succeed_payment(self, invoice: dict[str, Any],
                         sub: dict[str, Any] | None) -> dict[str, Any]:
        invoice["attempt_count"] += 1
        self._mark_paid(invoice)
        if sub is not None and sub["status"] in ("past_due", "unpaid", "incomplete"):
            self.set_subscription_status(sub["id"], "active")
        self._emit("invoice.payment_succeeded", invoice)
        return self._emit("invoice.paid", invoice)

    def _fail_payment(self, invoice: dict[str, Any], sub: dict[str, Any] | None) -> dict[str, Any]:
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        invoice["next_payment_attempt"] = self._now() + 3 * _DAY
        if sub is not None and sub["status"] in ("active", "trialing"):
            self.set_subscription_status(sub["id"], "past_due")
        return self._emit("invoice.payment_failed", invoice)

    def _invoice_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "auto_advance", "collection_method", "days_until_due",
                        "description", "metadata", "pending_invoice_items_behavior",
                        "subscription", "currency", "footer", "due_date",
                        "default_payment_method", "automatic_tax", "custom_fields",
                        "account_tax_ids", "statement_descriptor", "rendering"})
        customer = self._find("customer", self._require(p, "customer"), param="customer",
                              status=400)
        behavior = self._choice(p.get("pending_invoice_items_behavior"),
                                "pending_invoice_items_behavior", ("include", "exclude"),
                                "exclude")
        collection = self._choice(p.get("collection_method"), "collection_method",
                                  ("charge_automatically", "send_invoice"),
                                  "charge_automatically")
        days = self._int(p.get("days_until_due"), "days_until_due")
        if collection == "send_invoice" and days is None and not p.get("due_date"):
            raise _ApiError(400, "Missing required param: days_until_due.",
                            code="parameter_missing", param="days_until_due")
        subscription = (self._find("subscription", p["subscription"], param="subscription",
                                   status=400) if p.get("subscription") else None)
        pending = ([ii for ii in self._all("invoiceitem")
                    if ii["customer"] == customer["id"] and ii["invoice"] is None]
                   if behavior == "include" else [])
        currency = (p.get("currency") or (pending[0]["currency"] if pending else None)
                    or customer["currency"] or "eur").lower()
        pending = [ii for ii in pending if ii["currency"] == currency]
        invoice = self._new_invoice(
            customer, [], currency=currency, subscription=subscription,
            collection_method=collection, days_until_due=days,
            auto_advance=bool(self._bool(p.get("auto_advance"), "auto_advance", False)),
            description=self._string(p.get("description"), "description"),
            metadata=self._metadata(p.get("metadata")))
        for item in pending:
            self._attach_item(invoice, item)
        self._emit("invoice.created", invoice)
        return 200, self._render(invoice)

    def _attach_item(self, invoice: dict[str, Any], item: dict[str, Any]) -> None:
        item["invoice"] = invoice["id"]
        line = self._line(
            amount=item["amount"], currency=item["currency"], description=item["description"],
            period=(item["period"]["start"], item["period"]["end"]), quantity=item["quantity"],
            price=self._by_id.get(((item["pricing"] or {}).get("price_details") or {})
                                  .get("price") or ""),
            metadata=dict(item["metadata"]),
            parent={"type": "invoice_item_details", "invoice_item_details": {
                "invoice_item": item["id"], "proration": False, "proration_details": None,
                "subscription": None}})
        line["invoice"] = invoice["id"]
        invoice["lines"]["data"].append(line)
        self._totals(invoice)

    def _invoice_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("invoice", id))

    def _invoice_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "subscription", "status", "collection_method", "limit",
                        "starting_after", "ending_before", "created", "due_date"})
        invoices = self._all("invoice")
        for name in ("customer", "subscription", "status", "collection_method"):
            if p.get(name):
                invoices = [i for i in invoices if i[name] == p[name]]
        return self._list(invoices, "/v1/invoices", p)

    def _invoice_lines(self, p: dict[str, Any], id: str) -> _Result:
        invoice = self._find("invoice", id)
        return self._list(list(reversed(invoice["lines"]["data"])), f"/v1/invoices/{id}/lines",
                          p)

    def _invoice_finalize(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"auto_advance"})
        invoice = self._find("invoice", id)
        if invoice["status"] != "draft":
            raise _ApiError(400, "This invoice is already finalized, you can't re-finalize a "
                            "non-draft invoice.", code="invoice_not_editable")
        if "auto_advance" in p:
            invoice["auto_advance"] = bool(self._bool(p["auto_advance"], "auto_advance"))
        self._finalize(invoice)
        return 200, self._render(invoice)

    def _invoice_pay(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"paid_out_of_band", "payment_method", "source", "off_session",
                        "forgive", "mandate"})
        invoice = self._find("invoice", id)
        if invoice["status"] == "paid":
            raise _ApiError(400, "Invoice is already paid.", code="invoice_already_paid")
        if invoice["status"] == "void":
            raise _ApiError(400, "This invoice can no longer be paid because it is void.")
        if invoice["status"] == "draft":
            self._finalize(invoice)
            if invoice["status"] == "paid":
                return 200, self._render(invoice)
        sub = self._by_id.get(invoice["subscription"] or "")
        if self._bool(p.get("paid_out_of_band"), "paid_out_of_band"):
            self._succeed_payment(invoice, sub)
            return 200, self._render(invoice)
        if self._take_decline():
            self._fail_payment(invoice, sub)
            body = _declined_body()["error"]
            raise _ApiError(402, body["message"], kind="card_error", code="card_declined",
                            decline_code="generic_decline")
        self._succeed_payment(invoice, sub)
        return 200, self._render(invoice)

    def _invoice_void(self, p: dict[str, Any], id: str) -> _Result:
        invoice = self._find("invoice", id)
        if invoice["status"] not in ("open", "uncollectible"):
            raise _ApiError(400, "You can only void an open or uncollectible invoice.",
                            code="invoice_not_editable")
        invoice.update(status="void", amount_remaining=0)
        invoice["status_transitions"]["voided_at"] = self._now()
        self._emit("invoice.voided", invoice)
        return 200, self._render(invoice)

    def _invoice_delete(self, p: dict[str, Any], id: str) -> _Result:
        invoice = self._find("invoice", id)
        if invoice["status"] != "draft":
            raise _ApiError(400, "You can only delete draft invoices.",
                            code="invoice_not_editable")
        for item in self._all("invoiceitem"):
            if item["invoice"] == id:
                item["invoice"] = None
        del self._objects["invoice"][id]
        del self._by_id[id]
        return 200, {"id": id, "object": "invoice", "deleted": True}

    # ---- invoice items ---------------------------------------------------------------------------

    def _invoice_item_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "amount", "currency", "description", "metadata", "quantity",
                        "unit_amount_decimal", "pricing", "price", "invoice", "period",
                        "discountable", "subscription", "tax_behavior", "tax_rates"})
        customer = self._find("customer", self._require(p, "customer"), param="customer",
                              status=400)
        quantity = self._int(p.get("quantity"), "quantity")
        price_id = (p.get("pricing") or {}).get("price") if isinstance(p.get("pricing"),
                                                                         dict) else None
        price_id = price_id or p.get("price")
        price = None
        if price_id:
            price = self._find("price", price_id, param="pricing[price]", status=400)
            currency = price["currency"]
            amount = self._amount(price, quantity or 1)
            decimal = price["unit_amount_decimal"]
        elif p.get("amount") not in (None, ""):
            amount = self._int(p["amount"], "amount")
            if quantity is not None:
                raise _ApiError(400, "When passing `amount`, `quantity` must not be set (use "
                                "`unit_amount_decimal` with `quantity`).", param="quantity")
            currency = self._require(p, "currency")
            decimal = str(amount)
        elif p.get("unit_amount_decimal") not in (None, ""):
            try:
                unit = Decimal(str(p["unit_amount_decimal"]))
            except InvalidOperation:
                raise _ApiError(400, f"Invalid decimal: {p['unit_amount_decimal']}",
                                param="unit_amount_decimal") from None
            currency = self._require(p, "currency")
            amount = int((unit * (quantity or 1)).to_integral_value())
            decimal = str(unit)
        else:
            raise _ApiError(400, "Missing required param: amount.", code="parameter_missing",
                            param="amount")
        currency = str(currency).lower()
        if customer["currency"] and customer["currency"] != currency:
            raise _ApiError(400, f"The customer's currency is {customer['currency']}; an "
                            f"invoice item in {currency} cannot be added.", param="currency")
        invoice = None
        if p.get("invoice"):
            invoice = self._find("invoice", p["invoice"], param="invoice", status=400)
            if invoice["status"] != "draft" or invoice["customer"] != customer["id"]:
                raise _ApiError(400, "Invoice items can only be added to a draft invoice of the "
                                "same customer.", param="invoice", code="invoice_not_editable")
        now = self._now()
        period = p.get("period") if isinstance(p.get("period"), dict) else {}
        item = self._store({
            "id": self._new_id("ii_"), "object": "invoiceitem", "amount": amount,
            "currency": currency, "customer": customer["id"], "date": now,
            "description": self._string(p.get("description"), "description"),
            "discountable": bool(self._bool(p.get("discountable"), "discountable", True)),
            "discounts": [], "invoice": None, "livemode": False,
            "metadata": self._metadata(p.get("metadata")), "parent": None,
            "period": {"start": self._int(period.get("start"), "period[start]") or now,
                       "end": self._int(period.get("end"), "period[end]") or now},
            "pricing": {"type": "price_details", "unit_amount_decimal": decimal,
                        "price_details": ({"price": price["id"], "product": price["product"]}
                                          if price else None)},
            "proration": False, "quantity": quantity or 1, "tax_rates": [], "test_clock": None,
            "unit_amount_decimal": decimal})
        if invoice is not None:
            self._attach_item(invoice, item)
        return 200, self._render(item)

    def _invoice_item_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"customer", "invoice", "pending", "limit", "starting_after",
                        "ending_before", "created"})
        items = self._all("invoiceitem")
        for name in ("customer", "invoice"):
            if p.get(name):
                items = [i for i in items if i[name] == p[name]]
        pending = self._bool(p.get("pending"), "pending")
        if pending is not None:
            items = [i for i in items if (i["invoice"] is None) == pending]
        return self._list(items, "/v1/invoiceitems", p)

    def _invoice_item_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("invoiceitem", id))

    def _invoice_item_delete(self, p: dict[str, Any], id: str) -> _Result:
        item = self._find("invoiceitem", id)
        invoice = self._by_id.get(item["invoice"] or "")
        if invoice is not None and invoice["status"] != "draft":
            raise _ApiError(400, f"Invoice item {id} cannot be deleted because it is attached "
                            "to a finalized invoice.", code="invoice_not_editable")
        if invoice is not None:
            invoice["lines"]["data"] = [
                line for line in invoice["lines"]["data"]
                if (line["parent"] or {}).get("invoice_item_details", {}).get("invoice_item")
                != id]
            self._totals(invoice)
        del self._objects["invoiceitem"][id]
        del self._by_id[id]
        return 200, {"id": id, "object": "invoiceitem", "deleted": True}

    # ---- billing meters and meter events -----------------------------------------------------

    def _meter_create(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"display_name", "event_name", "default_aggregation", "customer_mapping",
                        "value_settings", "event_time_window"})
        display_name = self._string(self._require(p, "display_name"), "display_name")
        event_name = self._string(self._require(p, "event_name"), "event_name")
        aggregation = self._require(p, "default_aggregation")
        if not isinstance(aggregation, dict):
            raise _ApiError(400, "Invalid object", param="default_aggregation")
        formula = self._choice(self._require(aggregation, "formula",
                                             "default_aggregation[formula]"),
                               "default_aggregation[formula]", ("count", "last", "sum"))
        if any(m["event_name"] == event_name and m["status"] == "active"
               for m in self._all("billing.meter")):
            raise _ApiError(400, f"An active meter with event_name `{event_name}` already "
                            "exists.", param="event_name")
        mapping = p.get("customer_mapping") if isinstance(p.get("customer_mapping"), dict) else {}
        values = p.get("value_settings") if isinstance(p.get("value_settings"), dict) else {}
        now = self._now()
        return 200, self._render(self._store({
            "id": self._new_id("mtr_"), "object": "billing.meter", "created": now,
            "customer_mapping": {"event_payload_key": mapping.get("event_payload_key")
                                 or "stripe_customer_id", "type": "by_id"},
            "default_aggregation": {"formula": formula}, "display_name": display_name,
            "event_name": event_name, "event_time_window": p.get("event_time_window") or None,
            "livemode": False, "status": "active",
            "status_transitions": {"deactivated_at": None}, "updated": now,
            "value_settings": {"event_payload_key": values.get("event_payload_key") or "value"}}))

    def _meter_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"status", "limit", "starting_after", "ending_before"})
        meters = self._all("billing.meter")
        status = self._choice(p.get("status"), "status", ("active", "inactive"))
        if status:
            meters = [m for m in meters if m["status"] == status]
        return self._list(meters, "/v1/billing/meters", p)

    def _meter_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("billing.meter", id))

    def _meter_update(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"display_name"})
        meter = self._find("billing.meter", id)
        if "display_name" in p:
            meter["display_name"] = self._string(self._require(p, "display_name"),
                                                 "display_name")
            meter["updated"] = self._now()
        return 200, self._render(meter)

    def _meter_deactivate(self, p: dict[str, Any], id: str) -> _Result:
        meter = self._find("billing.meter", id)
        meter.update(status="inactive", updated=self._now())
        meter["status_transitions"]["deactivated_at"] = self._now()
        return 200, self._render(meter)

    def _meter_reactivate(self, p: dict[str, Any], id: str) -> _Result:
        meter = self._find("billing.meter", id)
        meter.update(status="active", updated=self._now())
        meter["status_transitions"]["deactivated_at"] = None
        return 200, self._render(meter)

    def _meter_summaries(self, p: dict[str, Any], id: str) -> _Result:
        self._allow(p, {"customer", "start_time", "end_time", "value_grouping_window", "limit",
                        "starting_after", "ending_before"})
        meter = self._find("billing.meter", id)
        customer = self._require(p, "customer")
        start = self._int(self._require(p, "start_time"), "start_time")
        end = self._int(self._require(p, "end_time"), "end_time")
        price = {"recurring": {"meter": meter["id"]}}
        summary = {"id": self._new_id("mtrusg_"), "object": "billing.meter_event_summary",
                   "aggregated_value": self._usage(price, customer, start, end),
                   "end_time": end, "livemode": False, "meter": meter["id"],
                   "start_time": start}
        return 200, {"object": "list", "data": [summary], "has_more": False,
                     "url": f"/v1/billing/meters/{id}/event_summaries"}

    def _meter_event_create(self, p: dict[str, Any]) -> _Result:
        """Stripe checks the identifier, payload and timestamp at once and reports an unknown
        meter or customer later (asynchronously): so does this, accepting them."""
        self._allow(p, {"event_name", "payload", "identifier", "timestamp"})
        event_name = self._string(self._require(p, "event_name"), "event_name")
        payload = self._require(p, "payload")
        if not isinstance(payload, dict):
            raise _ApiError(400, "Invalid object", param="payload")
        now = self._now()
        timestamp = self._int(p.get("timestamp"), "timestamp")
        timestamp = now if timestamp is None else timestamp
        if timestamp < now - 35 * _DAY or timestamp > now + 300:
            raise _ApiError(400, "The timestamp must be within the past 35 calendar days and no "
                            "more than 5 minutes in the future.", param="timestamp")
        identifier = self._string(p.get("identifier"), "identifier") or str(uuid.uuid4())
        if identifier in self._meter_identifiers:
            raise _ApiError(400, f"An event already exists with identifier {identifier}.",
                            param="identifier", headers={"Stripe-Should-Retry": "false"})
        self._meter_identifiers.add(identifier)
        event = {"object": "billing.meter_event", "created": now, "event_name": event_name,
                 "identifier": identifier, "livemode": False, "payload": dict(payload),
                 "timestamp": timestamp}
        self.meter_events.append(event)
        return 200, copy.deepcopy(event)

    # ---- events ----------------------------------------------------------------------------------

    def _event_list(self, p: dict[str, Any]) -> _Result:
        self._allow(p, {"type", "types", "limit", "starting_after", "ending_before", "created",
                        "delivery_success"})
        events = self._all("event")
        if p.get("type"):
            pattern = re.compile(re.escape(p["type"]).replace(r"\*", ".*"))
            events = [e for e in events if pattern.fullmatch(e["type"])]
        types = self._array(p.get("types"), "types")
        if types:
            events = [e for e in events if e["type"] in types]
        return self._list(events, "/v1/events", p)

    def _event_retrieve(self, p: dict[str, Any], id: str) -> _Result:
        return 200, self._render(self._find("event", id))

    # ---- pages on the fake (Checkout, portal, hosted invoice) --------------------------------

    def _page(self, method: str, path: str) -> _Response:
        parts = path.strip("/").split("/")
        with self._lock:
            if len(parts) >= 2 and parts[0] == "checkout":
                session = self._objects.get("checkout.session", {}).get(parts[1])
                if session is not None:
                    return self._checkout_page(method, session, parts[2:])
            if len(parts) == 2 and parts[0] == "portal" and parts[1] in self._by_id:
                portal = self._by_id[parts[1]]
                link = html.escape(portal["return_url"] or "/")
                return self._html(200, f"<h1>Billing portal</h1><p>{portal['customer']}</p>"
                                       f'<a href="{link}">Return</a>')
            if len(parts) >= 2 and parts[0] == "invoices" and parts[1] in self._by_id:
                invoice = self._by_id[parts[1]]
                if parts[2:] == ["pdf"]:
                    return _Response(200, _pdf(f"Invoice {invoice['number']}"),
                                     {"Content-Type": "application/pdf"})
                return self._html(200, f"<h1>Invoice {html.escape(invoice['number'] or '')}</h1>"
                                       f"<p>{invoice['amount_due'] / 100:.2f} "
                                       f"{invoice['currency'].upper()} — {invoice['status']}</p>")
        return self._html(404, "<h1>Not found</h1>")

    def _checkout_page(self, method: str, session: dict[str, Any], rest: list[str]) -> _Response:
        if method == "GET" and not rest:
            return self._html(200, f"<h1>Checkout</h1><p>{session['amount_total'] or 0} "
                                   f"{session['currency'] or ''}</p>"
                                   f'<form method="post" action="/checkout/{session["id"]}/'
                                   f'complete"><button>Pay</button></form>'
                                   f'<a href="/checkout/{session["id"]}/cancel">Cancel</a>')
        if method == "POST" and rest == ["complete"] and session["status"] == "open":
            if self._take_decline():
                return self._html(402, "<h1>Your card was declined.</h1>")
            self._complete_checkout(session)
            target = (session["success_url"] or "/").replace("{CHECKOUT_SESSION_ID}",
                                                             session["id"])
            return _Response(303, b"", {"Location": target})
        if rest == ["cancel"]:
            return _Response(303, b"", {"Location": session["cancel_url"] or "/"})
        return self._html(400, "<h1>This Checkout session is no longer open.</h1>")

    @staticmethod
    def _html(status: int, content: str) -> _Response:
        page = f"<!doctype html><html><body>{content}</body></html>".encode()
        return _Response(status, page, {"Content-Type": "text/html; charset=utf-8"})


def _pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (for hosted invoice_pdf links)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
