"""The catalogue of plans and paid options (billing/catalogue.yaml), read once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import ngettext

from core.formatting import count
from core.i18n import in_language

from .money import format_money

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.yaml"
INTERVALS = ("month", "year")
# The languages of Stripe products (and of the people who buy).
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Item:
    kind: str  # plan | option
    code: str
    name: dict[str, str]
    description: dict[str, str]
    prices: dict[str, int] = field(default_factory=dict)  # interval -> cents
    limits: dict[str, int | None] = field(default_factory=dict)
    metered: dict[str, Any] | None = None
    hours_per_month: int | None = None  # consultant time an option includes
    free: bool = False  # the free plan: no price, never sold

    @property
    def limit_items(self) -> list[tuple[str, int | None]]:
        """The plan's limits in the catalogue's order (None: unlimited)."""
        return list(self.limits.items())

    @property
    def limit_texts(self) -> list[str]:
        """The plan's finite limits as a visitor reads them ("2 campaigns open at once")."""
        return [limit_text(name, value) for name, value in self.limits.items()
                if value is not None]

    def tr(self, name: str) -> str:
        return in_language(getattr(self, name))

    @property
    def label(self) -> str:
        return self.tr("name")

    @property
    def summary(self) -> str:
        return self.tr("description")

    @property
    def monthly(self) -> str:
        return self.price_euros("month")

    @property
    def yearly(self) -> str:
        return self.price_euros("year")

    @property
    def metered_price(self) -> str:
        return format_money(self.metered["unit_amount"], always_cents=True) \
            if self.metered else ""

    def lookup_key(self, interval: str = "month", language: str = "en") -> str:
        """The Stripe price's lookup key: stable, so prices are found again after a sync.
        Each language has its own product and prices (Checkout, the portal and invoices
        print the product's name, which Stripe does not translate); English keeps the keys
        it had before there were several."""
        suffix = "" if language == "en" else f"_{language}"
        if self.metered:
            return f"fullmobs_{self.code}_metered{suffix}"
        return f"fullmobs_{self.kind}_{self.code}_{interval}{suffix}"

    def product_id(self, language: str = "en") -> str:
        suffix = "" if language == "en" else f"_{language}"
        return f"fullmobs_{self.kind}_{self.code}{suffix}"

    def price_euros(self, interval: str) -> str:
        cents = self.prices.get(interval)
        return format_money(cents) if cents is not None else ""


def limit_text(name: str, value: int) -> str:
    """One limit of a plan, counted in the reader's language."""
    texts = {
        "programmes": ngettext("%(n)s running programme", "%(n)s running programmes", value),
        "open_campaigns": ngettext("%(n)s campaign open at once",
                                   "%(n)s campaigns open at once", value),
        "participants": ngettext("%(n)s active participant a month",
                                 "%(n)s active participants a month", value),
    }
    return texts[name] % {"n": count(value)}


@lru_cache(maxsize=1)
def catalogue_data() -> dict[str, Any]:
    """The YAML as written (checked against billing.codes at start-up)."""
    return yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, Item]]:
    data = catalogue_data()
    return {
        "plans": {p["code"]: Item(kind="plan", code=p["code"], name=p["name"],
                                  description=p["description"], prices=p["prices"] or {},
                                  limits=p["limits"], free=bool(p.get("free")))
                  for p in data["plans"]},
        "options": {o["code"]: Item(kind="option", code=o["code"], name=o["name"],
                                    description=o["description"],
                                    prices=o.get("prices", {}), metered=o.get("metered"),
                                    hours_per_month=o.get("hours_per_month"))
                    for o in data["options"]},
    }


def plans() -> dict[str, Item]:
    """The plans that are sold (every one with a price): order forms, quotes, Checkout and
    the Stripe catalogue read these."""
    return {code: item for code, item in catalogue()["plans"].items() if not item.free}


def every_plan() -> dict[str, Item]:
    """The plans sold and the free plan: what an organisation may be on."""
    return catalogue()["plans"]


def free_plan() -> Item:
    """The free plan of associations and collectives (billing.codes checks there is one)."""
    return next(item for item in catalogue()["plans"].values() if item.free)


def options() -> dict[str, Item]:
    return catalogue()["options"]


# Codes renamed since Stripe prices were made with them: a subscription on such a price
# still reads as the plan's new code (billing/migrations/0003 renamed the stored ones).
LEGACY_PLAN_CODES = {"programme": "professional"}


def item_for_lookup_key(lookup_key: str) -> Item | None:
    for old, new in LEGACY_PLAN_CODES.items():
        if lookup_key.startswith(f"fullmobs_plan_{old}_"):
            lookup_key = lookup_key.replace(f"fullmobs_plan_{old}_", f"fullmobs_plan_{new}_", 1)
    for item in [*plans().values(), *options().values()]:
        if lookup_key in {item.lookup_key(i, language) for i in INTERVALS
                          for language in LANGUAGES}:
            return item
    return None


def buyer_language(language: str) -> str:
    """One of the catalogue's languages for an organisation's or a person's language."""
    return language if language in LANGUAGES else "en"
