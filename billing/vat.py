"""VAT: the shape of EU VAT numbers, and the treatment a customer's invoices get.

Invoices are taxed by Stripe Tax (``automatic_tax``) from the customer's address and tax
ids; quotes, made here before anything exists in Stripe, apply the same rules
(``vat_treatment``), so a quote and the invoice that follows it agree:
- a customer in France (company, association or public body): French VAT, 20 %;
- a business elsewhere in the EU with a VAT number: no French VAT, the customer accounts
  for it (reverse charge, Article 196 of Directive 2006/112/EC);
- elsewhere in the EU without a VAT number: French VAT, 20 %;
- outside the EU: no French VAT (services to a business established abroad).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FRENCH_RATE = Decimal("20.00")

# Country codes of EU addresses (ISO 3166-1), and each member's VAT number after its
# prefix (Greece's prefix is EL; Northern Ireland's traders use XI).
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"})
VAT_SHAPES = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}", "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]", "FI": r"\d{8}", "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}", "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}",
    "SI": r"\d{8}", "SK": r"\d{10}", "XI": r"\d{9}|\d{12}",
}


def vat_number_normalise(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def vat_number_shape_ok(value: str) -> bool:
    """Whether a normalised number has its country's shape (and, for France, the right
    key: the two characters after FR are (12 + 3 × (SIREN mod 97)) mod 97 when numeric).
    Whether the number exists is Stripe's and VIES's business, not a shape's."""
    prefix, rest = value[:2], value[2:]
    shape = VAT_SHAPES.get(prefix)
    if shape is None or not re.fullmatch(shape, rest):
        return False
    if prefix == "FR" and rest[:2].isdigit():
        return int(rest[:2]) == (12 + 3 * (int(rest[2:]) % 97)) % 97
    return True


def vat_country(value: str) -> str:
    """The ISO country of a VAT number's prefix (EL is Greece, XI the United Kingdom)."""
    return {"EL": "GR", "XI": "GB"}.get(value[:2], value[:2])


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal  # percent
    note: str  # "" | "reverse_charge" | "outside_eu"

    def amount(self, subtotal_cents: int) -> int:
        return int((Decimal(subtotal_cents) * self.rate / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP))


def vat_treatment(*, country: str, vat_number: str = "") -> VatTreatment:
    country = (country or "FR").upper()
    if country == "FR":
        return VatTreatment(FRENCH_RATE, "")
    if country in EU_COUNTRIES:
        return VatTreatment(Decimal("0.00"), "reverse_charge") if vat_number \
            else VatTreatment(FRENCH_RATE, "")
    return VatTreatment(Decimal("0.00"), "outside_eu")
