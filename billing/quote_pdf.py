"""A quote as a PDF (WeasyPrint), in the quote's language. The page needs nothing from
outside the HTML: the fetcher refuses every URL, so a quote can never reach the network
or the file system."""

from __future__ import annotations

from typing import Any

from babel import Locale
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from . import stripe_api
from .catalogue import options, plans
from .models import Quote
from .services.ordering import QUOTE_VALID_DAYS


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"A quote loads nothing: {url!r} refused.")


def quote_context(quote: Quote) -> dict[str, Any]:
    language = quote.language
    items = {**{code: item for code, item in plans().items()},
             **{code: item for code, item in options().items()}}
    lines = []
    for line in quote.lines:
        item = items.get(line["code"])
        name = item.name.get(language, item.name["en"]) if item else line["code"]
        description = item.description.get(language, "") if item else ""
        lines.append({**line, "name": name, "description": description,
                      "unit": item.metered["unit_amount"] if item and item.metered else 0})
    customer = dict(quote.customer)
    customer["country_name"] = Locale.parse(language).territories.get(
        customer.get("country", ""), customer.get("country", ""))
    seller = {"name": settings.SELLER_NAME,
              "address_lines": [line for line in settings.SELLER_ADDRESS.split("\n") if line],
              "siren": settings.SELLER_SIREN, "vat_number": settings.SELLER_VAT_NUMBER}
    return {"quote": quote, "lines": lines, "customer": customer, "seller": seller,
            # What the buyer can do with it today: order online, or ask for an offer.
            "online_ordering": stripe_api.configured(),
            "valid_days": QUOTE_VALID_DAYS, "vat_rate": quote.vat_rate.normalize()}


def quote_pdf(quote: Quote) -> bytes:
    with translation.override(quote.language):
        html = render_to_string("billing/quote_pdf.html", quote_context(quote))
    pdf: bytes = HTML(string=html, url_fetcher=_refuse).write_pdf()
    return pdf
