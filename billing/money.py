"""Amounts of money as people read them, in the active language: "€2,900" and "€0.20" in
English, "2 900 €" and "0,20 €" in French. Every price the product shows goes through
``format_money`` (templates use the ``money`` filter), so no page formats euros by hand."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import pgettext

SYMBOLS = {"eur": "€"}


def format_money(cents: int, *, currency: str = "eur", always_cents: bool = False) -> str:
    """Whole amounts without cents ("€290"), others with two decimals ("€0.20"); the
    number through Django's localisation (separators of the active language), the
    symbol's place from the catalogue of translations."""
    amount = Decimal(int(cents)) / 100
    decimals = 2 if always_cents or int(cents) % 100 else 0
    number = formats.number_format(amount, decimal_pos=decimals, use_l10n=True,
                                   force_grouping=True)
    if SYMBOLS.get(currency.lower()) != "€":
        return f"{number} {currency.upper()}"
    # Translators: an amount in euros; French puts the symbol after a no-break space.
    return pgettext("money", "€%(amount)s") % {"amount": number}
