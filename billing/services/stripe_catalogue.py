"""The catalogue (billing/catalogue.yaml) made into Stripe products and prices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import stripe

from .. import stripe_api
from ..catalogue import LANGUAGES, Item, options, plans

if TYPE_CHECKING:
    from stripe._v1_services import V1Services
    from stripe.params import PriceCreateParams


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def catalogue_sync() -> SyncReport:
    """Create or update Stripe products and prices from the catalogue, found by lookup key,
    one product per item and language. Running it twice changes nothing the second time."""
    report = SyncReport()
    client = stripe_api.client().v1
    for item, language in [(item, language) for item in [*plans().values(),
                                                         *options().values()]
                           for language in LANGUAGES]:
        product_id = item.product_id(language)
        name, description = item.name[language], item.description[language]
        try:
            product = client.products.retrieve(product_id).to_dict()
            if product["name"] != name or product.get("description") != description:
                client.products.update(product_id, params={
                    "name": name, "description": description})
                report.updated.append(f"product {product_id}")
            else:
                report.unchanged.append(f"product {product_id}")
        except stripe.InvalidRequestError:
            client.products.create(params={"id": product_id, "name": name,
                                           "description": description,
                                           "metadata": {"code": item.code, "kind": item.kind,
                                                        "language": language}})
            report.created.append(f"product {product_id}")
        wanted = _wanted_prices(client, item, product_id, language)
        existing = {p["lookup_key"]: p for p in (price.to_dict() for price in client.prices.list(
            params={"lookup_keys": list(wanted), "limit": 100}).data)}
        for key, params in wanted.items():
            price = existing.get(key)
            if price is not None and price["unit_amount"] == params["unit_amount"]:
                report.unchanged.append(f"price {key}")
                continue
            # Stripe prices are immutable: a new amount is a new price taking the key over.
            client.prices.create(params=cast("PriceCreateParams", {
                **params, "lookup_key": key, "transfer_lookup_key": price is not None}))
            (report.updated if price is not None else report.created).append(f"price {key}")
    return report


def _wanted_prices(client: V1Services, item: Item, product_id: str, language: str
                   ) -> dict[str, dict[str, Any]]:
    if item.metered:
        meters = [m.to_dict() for m in client.billing.meters.list(params={"limit": 100}).data]
        meter = next((m for m in meters if m["event_name"] == item.metered["event_name"]), None)
        if meter is None:
            meter = client.billing.meters.create(params={
                "display_name": item.name["en"], "event_name": item.metered["event_name"],
                "default_aggregation": {"formula": "sum"}}).to_dict()
        return {item.lookup_key(language=language): {
            "product": product_id, "currency": "eur", "unit_amount": item.metered["unit_amount"],
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter["id"]}}}
    return {item.lookup_key(interval, language): {
        "product": product_id, "currency": "eur", "unit_amount": cents,
        "recurring": {"interval": interval}} for interval, cents in item.prices.items()}
