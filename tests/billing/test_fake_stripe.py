"""The fake Stripe server answers stripe-python as Stripe would (no database, no network)."""

from __future__ import annotations

import json
import time

import pytest
import requests
import stripe

from .fake_stripe import FakeStripe, parse_form

SECRET = "whsec_test_secret"


@pytest.fixture
def fake():
    with FakeStripe() as server:
        yield server
    assert not server.errors, server.errors  # the fake itself never crashed


@pytest.fixture
def client(fake) -> stripe.StripeClient:
    return fake.client().v1


def _catalogue(client, fake):
    meter = client.billing.meters.create(params={
        "display_name": "Extra participants", "event_name": "extra_participants",
        "default_aggregation": {"formula": "sum"}})
    product = client.products.create(params={"id": "fullmobs_plan_essential",
                                              "name": "Essential",
                                              "metadata": {"kind": "plan"}})
    monthly = client.prices.create(params={
        "product": product.id, "currency": "eur", "unit_amount": 29000,
        "recurring": {"interval": "month"}, "lookup_key": "essential_month",
        "metadata": {"code": "essential"}})
    extra = client.prices.create(params={
        "product": product.id, "currency": "eur", "unit_amount": 50,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        "lookup_key": "extra_participants"})
    return meter, product, monthly, extra


def _subscribed(client, fake):
    meter, product, monthly, extra = _catalogue(client, fake)
    customer = client.customers.create(params={"email": "owner@acme.test", "name": "Acme"})
    session = client.checkout.sessions.create(params={
        "mode": "subscription", "customer": customer.id,
        "line_items": [{"price": monthly.id, "quantity": 1}, {"price": extra.id}],
        "success_url": "https://app.test/billing/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.test/billing/", "client_reference_id": "acme",
        "metadata": {"organisation": "acme"},
        "subscription_data": {"metadata": {"organisation": "acme"}}})
    event = fake.complete_checkout(session.id)
    return customer, session, event


# ---- wire format ------------------------------------------------------------------------------

def test_bracket_notation_parses_into_nested_dicts_and_lists():
    pairs = [("metadata[org]", "acme"), ("line_items[0][price]", "price_x"),
             ("line_items[0][quantity]", "1"), ("line_items[1][price]", "price_y"),
             ("expand[]", "customer"), ("lookup_keys[]", "a"), ("lookup_keys[]", "b"),
             ("recurring[interval]", "month"), ("email", "")]
    assert parse_form(pairs) == {
        "metadata": {"org": "acme"},
        "line_items": [{"price": "price_x", "quantity": "1"}, {"price": "price_y"}],
        "expand": ["customer"], "lookup_keys": ["a", "b"],
        "recurring": {"interval": "month"}, "email": ""}


def test_raw_http_answers_have_stripes_shapes_and_errors(fake):
    auth = {"Authorization": f"Bearer {fake.api_key}"}
    created = requests.post(f"{fake.url}/v1/customers", headers=auth, timeout=5,
                            data="email=a%40acme.test&metadata[org]=acme")
    body = created.json()
    assert created.status_code == 200
    assert body["id"].startswith("cus_") and body["object"] == "customer"
    assert body["livemode"] is False and body["metadata"] == {"org": "acme"}
    assert abs(body["created"] - time.time()) < 5

    listed = requests.get(f"{fake.url}/v1/customers?email=a%40acme.test", headers=auth,
                          timeout=5).json()
    assert listed["object"] == "list" and listed["has_more"] is False
    assert listed["url"] == "/v1/customers" and [c["id"] for c in listed["data"]] == [body["id"]]

    missing = requests.get(f"{fake.url}/v1/customers/cus_x", headers=auth, timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"] | {"doc_url": None} == {
        "type": "invalid_request_error", "code": "resource_missing",
        "message": "No such customer: 'cus_x'", "param": "id", "doc_url": None}

    no_name = requests.post(f"{fake.url}/v1/products", headers=auth, data="", timeout=5)
    assert no_name.status_code == 400
    assert no_name.json()["error"]["param"] == "name"
    assert no_name.json()["error"]["type"] == "invalid_request_error"

    typo = requests.post(f"{fake.url}/v1/customers", headers=auth, data="emial=x", timeout=5)
    assert typo.status_code == 400 and typo.json()["error"]["param"] == "emial"

    assert requests.get(f"{fake.url}/v1/customers", timeout=5).status_code == 401
    wrong_key = requests.get(f"{fake.url}/v1/customers", timeout=5,
                             headers={"Authorization": "Bearer sk_test_other"})
    assert wrong_key.status_code == 401
    assert requests.get(f"{fake.url}/v1/nothing", headers=auth, timeout=5).status_code == 404
    assert [r.method for r in fake.requests][:2] == ["POST", "GET"]
    assert fake.requests[0].params == {"email": "a@acme.test", "metadata": {"org": "acme"}}


def test_lists_paginate_newest_first(client, fake):
    ids = [client.customers.create(params={"name": f"c{i}"}).id for i in range(5)]
    first = client.customers.list(params={"limit": 2})
    assert [c.id for c in first.data] == ids[::-1][:2] and first.has_more
    rest = client.customers.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert [c.id for c in rest.data] == ids[::-1][2:4]
    assert [c.id for c in first.auto_paging_iter()] == ids[::-1]


# ---- catalogue --------------------------------------------------------------------------------

def test_products_and_prices_are_found_by_lookup_keys(client, fake):
    meter, product, monthly, extra = _catalogue(client, fake)
    yearly = client.prices.create(params={
        "product": product.id, "currency": "eur", "unit_amount": 290000,
        "recurring": {"interval": "year"}, "lookup_key": "essential_year"})
    client.prices.create(params={"product": product.id, "currency": "eur", "unit_amount": 1,
                                 "lookup_key": "unrelated"})

    found = client.prices.list(params={"lookup_keys": ["essential_month", "essential_year",
                                                       "extra_participants"], "limit": 100})
    assert {p.lookup_key: p.id for p in found.data} == {
        "essential_month": monthly.id, "essential_year": yearly.id,
        "extra_participants": extra.id}
    assert monthly.id.startswith("price_") and monthly.type == "recurring"
    assert monthly.recurring.interval == "month" and monthly.unit_amount == 29000
    assert extra.recurring.usage_type == "metered" and extra.recurring.meter == meter.id
    assert len(client.prices.list(params={"product": product.id, "limit": 100}).data) == 4

    assert client.products.retrieve("fullmobs_plan_essential").name == "Essential"
    client.products.update(product.id, params={"name": "Essentiel", "description": "One"})
    assert client.products.retrieve(product.id).description == "One"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.products.retrieve("fullmobs_plan_nothing")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.prices.create(params={"product": product.id, "currency": "eur",
                                     "unit_amount": 31000, "recurring": {"interval": "month"},
                                     "lookup_key": "essential_month"})
    assert taken.value.param == "lookup_key"
    moved = client.prices.create(params={
        "product": product.id, "currency": "eur", "unit_amount": 31000,
        "recurring": {"interval": "month"}, "lookup_key": "essential_month",
        "transfer_lookup_key": True})
    assert client.prices.retrieve(monthly.id).lookup_key is None
    again = client.prices.list(params={"lookup_keys": ["essential_month"]}).data
    assert [p.id for p in again] == [moved.id]

    client.prices.update(monthly.id, params={"active": False})
    active = client.prices.list(params={"product": product.id, "active": True, "limit": 100})
    assert monthly.id not in [p.id for p in active.data]

    with pytest.raises(stripe.InvalidRequestError) as no_meter:
        client.prices.create(params={"product": product.id, "currency": "eur",
                                     "unit_amount": 5,
                                     "recurring": {"interval": "month", "usage_type": "metered"}})
    assert no_meter.value.param == "recurring[meter]"


# ---- idempotency and injected failures --------------------------------------------------------

def test_the_same_idempotency_key_returns_the_first_customer(client, fake):
    params = {"name": "Acme", "email": "owner@acme.test", "metadata": {"organisation": "acme"},
              "tax_id_data": [{"type": "eu_vat", "value": "FR12345678901"}]}
    first = client.customers.create(params=params, options={"idempotency_key": "customer-1"})
    second = client.customers.create(params=params, options={"idempotency_key": "customer-1"})
    assert first.id == second.id
    assert len(fake.objects("customer")) == 1
    assert len(fake.objects("tax_id")) == 1
    assert len(fake.requests_to("POST", "/v1/customers")) == 2
    assert fake.requests[-1].headers["idempotency-key"] == "customer-1"
    expanded = client.customers.retrieve(first.id, params={"expand": ["tax_ids"]})
    assert expanded.tax_ids.data[0].value == "FR12345678901"
    assert expanded.tax_ids.data[0].country == "FR"

    with pytest.raises(stripe.IdempotencyError):
        client.customers.create(params={**params, "name": "Other"},
                                options={"idempotency_key": "customer-1"})
    with pytest.raises(stripe.IdempotencyError):
        client.products.create(params={"name": "X"}, options={"idempotency_key": "customer-1"})
    assert len(fake.objects("customer")) == 1


def test_an_injected_500_surfaces_as_api_error_once(client, fake):
    fake.fail_next("POST", "/v1/customers")
    with pytest.raises(stripe.APIError) as failed:
        client.customers.create(params={"name": "Acme"})
    assert failed.value.http_status == 500
    assert fake.objects("customer") == []
    assert client.customers.create(params={"name": "Acme"}).id.startswith("cus_")
    assert len(fake.objects("customer")) == 1

    fake.fail_next("GET", "/v1/prices", status=429)
    with pytest.raises(stripe.RateLimitError):
        client.prices.list()
    assert client.prices.list().data == []


def test_a_timeout_surfaces_as_api_connection_error_quickly(fake):
    client = fake.client(timeout=0.5).v1
    fake.fail_next("POST", "/v1/customers", timeout=True)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.customers.create(params={"name": "Acme"})
    assert time.monotonic() - started < 3
    assert fake.objects("customer") == []

    # An answer lost on the way back: Stripe did create it, and a retry with the same key
    # gets that customer instead of a second one.
    fake.fail_next("POST", "/v1/customers", timeout=True, hang=0, processed=True)
    with pytest.raises(stripe.APIConnectionError):
        client.customers.create(params={"name": "Acme"}, options={"idempotency_key": "org-7"})
    assert len(fake.objects("customer")) == 1
    retried = client.customers.create(params={"name": "Acme"},
                                      options={"idempotency_key": "org-7"})
    assert [c["id"] for c in fake.objects("customer")] == [retried.id]


def test_a_client_with_retries_gets_through_one_injected_failure(fake):
    client = fake.client(max_network_retries=1).v1
    fake.fail_next("POST", "/v1/customers", status=500)
    customer = client.customers.create(params={"name": "Acme"})
    attempts = fake.requests_to("POST", "/v1/customers")
    assert len(attempts) == 2
    assert attempts[0].headers["idempotency-key"] == attempts[1].headers["idempotency-key"]
    assert [c["id"] for c in fake.objects("customer")] == [customer.id]


# ---- checkout, subscriptions, portal --------------------------------------------------------

def test_checkout_completion_creates_the_subscription(client, fake):
    customer, session, event = _subscribed(client, fake)
    assert session.id.startswith("cs_test_") and session.status == "open"
    assert session.url == f"{fake.url}/checkout/{session.id}"
    assert session.subscription is None and session.mode == "subscription"

    assert event["type"] == "checkout.session.completed" and event["object"] == "event"
    assert event["id"].startswith("evt_") and event["livemode"] is False
    completed = event["data"]["object"]
    assert completed["status"] == "complete" and completed["payment_status"] == "paid"
    assert completed["customer"] == customer.id
    assert completed["client_reference_id"] == "acme"
    assert completed["metadata"] == {"organisation": "acme"}
    assert client.checkout.sessions.retrieve(session.id).subscription == completed["subscription"]

    sub = client.subscriptions.retrieve(completed["subscription"],
                                        params={"expand": ["latest_invoice"]})
    assert sub.id.startswith("sub_") and sub.status == "active" and sub.customer == customer.id
    assert sub.metadata.to_dict() == {"organisation": "acme"}
    items = sub["items"].data
    assert [item.price.lookup_key for item in items] == ["essential_month", "extra_participants"]
    assert items[0].id.startswith("si_") and items[0].quantity == 1
    assert items[0].price.unit_amount == 29000 and "quantity" not in items[1]
    assert items[0].current_period_end == sub.current_period_end
    assert 27 * 86400 <= sub.current_period_end - sub.current_period_start <= 31 * 86400
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.amount_paid == 29000
    assert sub.latest_invoice.billing_reason == "subscription_create"

    listed = client.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert [s.id for s in listed.data] == [sub.id]
    assert [e["type"] for e in fake.events].count("customer.subscription.created") == 1

    updated = client.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert updated.cancel_at_period_end and updated.cancel_at == sub.current_period_end
    canceled = client.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.ended_at
    assert client.subscriptions.list(params={"customer": customer.id}).data == []
    assert len(client.subscriptions.list(params={"customer": customer.id,
                                                 "status": "all"}).data) == 1
    with pytest.raises(stripe.InvalidRequestError):
        client.subscriptions.update(sub.id, params={"cancel_at_period_end": False})


def test_subscription_items_can_be_swapped(client, fake):
    _customer, _session, event = _subscribed(client, fake)
    sub = client.subscriptions.retrieve(event["data"]["object"]["subscription"])
    programme = client.products.create(params={"name": "Programme"})
    bigger = client.prices.create(params={"product": programme.id, "currency": "eur",
                                          "unit_amount": 79000,
                                          "recurring": {"interval": "month"},
                                          "lookup_key": "programme_month"})
    changed = client.subscriptions.update(sub.id, params={
        "items": [{"id": sub["items"].data[0].id, "price": bigger.id}],
        "proration_behavior": "create_prorations", "metadata": {"changed": "yes"}})
    assert [i.price.lookup_key for i in changed["items"].data] == [
        "programme_month", "extra_participants"]
    assert changed.metadata.to_dict() == {"organisation": "acme", "changed": "yes"}
    assert fake.events[-1]["type"] == "customer.subscription.updated"
    assert "items" in fake.events[-1]["data"]["previous_attributes"]


def test_checkout_refuses_what_stripe_refuses(client, fake):
    _meter, _product, monthly, extra = _catalogue(client, fake)
    base = {"mode": "subscription", "success_url": "https://app.test/ok"}
    with pytest.raises(stripe.InvalidRequestError) as metered_quantity:
        client.checkout.sessions.create(params={**base, "line_items": [
            {"price": extra.id, "quantity": 1}]})
    assert metered_quantity.value.param == "line_items[0][quantity]"
    with pytest.raises(stripe.InvalidRequestError) as no_quantity:
        client.checkout.sessions.create(params={**base, "line_items": [{"price": monthly.id}]})
    assert no_quantity.value.param == "line_items[0][quantity]"
    with pytest.raises(stripe.InvalidRequestError) as unknown_customer:
        client.checkout.sessions.create(params={**base, "customer": "cus_nobody",
                                                "line_items": [{"price": monthly.id,
                                                                "quantity": 1}]})
    assert unknown_customer.value.code == "resource_missing"
    assert unknown_customer.value.param == "customer"


def test_a_declined_card_leaves_the_checkout_open(client, fake):
    _meter, _product, monthly, _extra = _catalogue(client, fake)
    session = client.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": "new@acme.test",
        "line_items": [{"price": monthly.id, "quantity": 1}],
        "success_url": "https://app.test/ok"})
    fake.decline_next_payment()
    with pytest.raises(stripe.CardError) as declined:
        fake.complete_checkout(session.id)
    assert declined.value.code == "card_declined"
    assert declined.value.json_body["error"]["decline_code"] == "generic_decline"
    assert declined.value.http_status == 402
    assert client.checkout.sessions.retrieve(session.id).status == "open"
    assert fake.objects("subscription") == []

    event = fake.complete_checkout(session.id)  # the decline applied once
    created = client.customers.retrieve(event["data"]["object"]["customer"])
    assert created.email == "new@acme.test"


def test_the_hosted_checkout_page_redirects_to_success_url(client, fake):
    _meter, _product, monthly, _extra = _catalogue(client, fake)
    session = client.checkout.sessions.create(params={
        "mode": "subscription", "line_items": [{"price": monthly.id, "quantity": 1}],
        "success_url": "https://app.test/done?session={CHECKOUT_SESSION_ID}"})
    assert requests.get(session.url, timeout=5).status_code == 200
    fake.decline_next_payment()
    assert requests.post(f"{session.url}/complete", timeout=5,
                         allow_redirects=False).status_code == 402
    paid = requests.post(f"{session.url}/complete", timeout=5, allow_redirects=False)
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://app.test/done?session={session.id}"
    assert client.checkout.sessions.retrieve(session.id).status == "complete"


def test_billing_portal_session(client, fake):
    customer = client.customers.create(params={"name": "Acme"})
    portal = client.billing_portal.sessions.create(params={
        "customer": customer.id, "return_url": "https://app.test/billing/"})
    assert portal.id.startswith("bps_") and portal.object == "billing_portal.session"
    assert portal.customer == customer.id and portal.url.startswith(fake.url)
    assert portal.return_url == "https://app.test/billing/"
    assert "https://app.test/billing/" in requests.get(portal.url, timeout=5).text
    with pytest.raises(stripe.InvalidRequestError):
        client.billing_portal.sessions.create(params={"customer": "cus_nobody"})


def test_renewals_fail_and_recover(client, fake):
    _customer, _session, event = _subscribed(client, fake)
    sub_id = event["data"]["object"]["subscription"]
    before = client.subscriptions.retrieve(sub_id).current_period_end

    failed = fake.fail_invoice_payment(sub_id)
    assert failed["type"] == "invoice.payment_failed"
    invoice = failed["data"]["object"]
    assert invoice["status"] == "open" and invoice["attempt_count"] == 1
    assert invoice["billing_reason"] == "subscription_cycle"
    assert invoice["parent"]["subscription_details"]["subscription"] == sub_id
    assert client.subscriptions.retrieve(sub_id).status == "past_due"
    assert client.subscriptions.retrieve(sub_id).current_period_start == before

    fake.decline_next_payment()
    assert fake.pay_invoice(sub_id)["type"] == "invoice.payment_failed"
    paid = fake.pay_invoice(sub_id)
    assert paid["type"] == "invoice.paid" and paid["data"]["object"]["id"] == invoice["id"]
    assert paid["data"]["object"]["amount_paid"] == 29000
    assert client.subscriptions.retrieve(sub_id).status == "active"

    unpaid = fake.set_subscription_status(sub_id, "unpaid")
    assert unpaid["type"] == "customer.subscription.updated"
    assert unpaid["data"]["previous_attributes"] == {"status": "active"}
    assert fake.set_subscription_status(sub_id, "canceled")["type"] == (
        "customer.subscription.deleted")


def test_invoice_items_become_an_invoice_with_a_hosted_page(client, fake):
    customer = client.customers.create(params={"name": "Acme", "email": "owner@acme.test"})
    item = client.invoice_items.create(
        params={"customer": customer.id, "currency": "eur", "amount": 12000,
                "description": "2 h of consultant time", "metadata": {"consultant_time": "1"}},
        options={"idempotency_key": "consultant-time-1"})
    again = client.invoice_items.create(
        params={"customer": customer.id, "currency": "eur", "amount": 12000,
                "description": "2 h of consultant time", "metadata": {"consultant_time": "1"}},
        options={"idempotency_key": "consultant-time-1"})
    assert item.id == again.id and item.id.startswith("ii_") and item.invoice is None
    client.invoice_items.create(params={"customer": customer.id, "currency": "eur",
                                        "amount": 6000, "description": "1 h"})
    pending = client.invoice_items.list(params={"customer": customer.id})
    assert len(pending.data) == 2

    draft = client.invoices.create(params={"customer": customer.id,
                                           "pending_invoice_items_behavior": "include",
                                           "auto_advance": True})
    assert draft.id.startswith("in_") and draft.status == "draft"
    assert draft.amount_due == 18000 and len(draft.lines.data) == 2
    assert draft.hosted_invoice_url is None  # as on Stripe, until finalized
    assert client.invoice_items.retrieve(item.id).invoice == draft.id

    final = client.invoices.finalize_invoice(draft.id)
    assert final.status == "open" and final.number
    assert final.hosted_invoice_url.startswith(fake.url)
    assert requests.get(final.hosted_invoice_url, timeout=5).status_code == 200
    pdf = requests.get(final.invoice_pdf, timeout=5)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    fake.decline_next_payment()
    with pytest.raises(stripe.CardError):
        client.invoices.pay(final.id)
    paid = client.invoices.pay(final.id)
    assert paid.status == "paid" and paid.amount_paid == 18000
    listed = client.invoices.list(params={"customer": customer.id, "limit": 24})
    assert [i.id for i in listed.data] == [final.id]
    assert client.invoices.retrieve(final.id).status_transitions.paid_at


# ---- meters and usage -------------------------------------------------------------------------

def test_meter_events_are_kept_once_per_identifier(client, fake):
    customer, _session, event = _subscribed(client, fake)
    meters = client.billing.meters.list(params={"limit": 100}).data
    assert [m.event_name for m in meters] == ["extra_participants"]
    assert meters[0].id.startswith("mtr_") and meters[0].default_aggregation.formula == "sum"

    payload = {"stripe_customer_id": customer.id, "value": "12"}
    recorded = client.billing.meter_events.create(params={
        "event_name": "extra_participants", "identifier": "usage-acme-2026-01-05",
        "payload": payload})
    assert recorded.object == "billing.meter_event" and recorded.payload["value"] == "12"
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        client.billing.meter_events.create(params={
            "event_name": "extra_participants", "identifier": "usage-acme-2026-01-05",
            "payload": payload})
    assert duplicate.value.http_status == 400 and "identifier" in str(duplicate.value)
    client.billing.meter_events.create(params={
        "event_name": "extra_participants", "identifier": "usage-acme-2026-01-06",
        "payload": {"stripe_customer_id": customer.id, "value": "3"}})
    assert [e["identifier"] for e in fake.meter_events] == [
        "usage-acme-2026-01-05", "usage-acme-2026-01-06"]
    with pytest.raises(stripe.InvalidRequestError) as too_old:
        client.billing.meter_events.create(params={
            "event_name": "extra_participants", "payload": payload,
            "timestamp": int(time.time()) - 40 * 86400})
    assert too_old.value.param == "timestamp"

    now = int(time.time())
    summary = client.billing.meters.event_summaries.list(meters[0].id, params={
        "customer": customer.id, "start_time": now - 3600, "end_time": now + 3600})
    assert summary.data[0].aggregated_value == 15

    renewal = fake.pay_invoice(event["data"]["object"]["subscription"])["data"]["object"]
    usage = [line for line in renewal["lines"]["data"] if line["quantity"] == 15]
    assert usage and usage[0]["amount"] == 15 * 50
    assert renewal["amount_due"] == 29000 + 15 * 50


# ---- events and webhook signatures -----------------------------------------------------------

def test_signed_events_pass_stripes_own_verification(fake):
    event = fake.event("invoice.paid", {"id": "in_123", "object": "invoice",
                                        "customer": "cus_123"})
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["api_version"] == stripe.api_version and event["livemode"] is False
    assert event["data"]["object"]["id"] == "in_123"

    payload, header = fake.webhook(event, SECRET)
    timestamp = header.split(",")[0].removeprefix("t=")
    assert header == FakeStripe.sign(payload, SECRET, int(timestamp))
    verified = stripe.Webhook.construct_event(payload, header, SECRET)
    assert verified.id == event["id"] and verified.type == "invoice.paid"
    assert verified.data.object.customer == "cus_123"

    tampered = payload.replace(b"cus_123", b"cus_999")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    old = FakeStripe.sign(payload, SECRET, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, old, SECRET)
    assert json.loads(payload)["type"] == "invoice.paid"


def test_events_can_be_fetched_back_and_reset_forgets_everything(client, fake):
    customer = client.customers.create(params={"name": "Acme"})
    created = [e for e in fake.events if e["type"] == "customer.created"][0]
    assert created["data"]["object"]["id"] == customer.id
    assert client.events.retrieve(created["id"]).type == "customer.created"
    assert [e.id for e in client.events.list(params={"type": "customer.*"}).data] == [
        created["id"]]
    fake.fail_next("GET", "/v1/customers")
    fake.decline_next_payment()
    fake.reset()
    assert fake.requests == [] and fake.events == [] and fake.objects("customer") == []
    with pytest.raises(stripe.InvalidRequestError):
        client.customers.retrieve(customer.id)  # the injected failure was forgotten too
