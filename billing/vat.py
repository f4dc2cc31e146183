"""VAT: the shape of EU VAT numbers, and the treatment a customer's invoices get.

Invoices are taxed by Stripe Tax (``automatic_tax``) from the customer's address and tax
ids; quotes, made here before anything exists in Stripe, apply the same rules
(``vat_treatment``), so a quote and the invoice that follows it agree:
- a customer in France (company, association or public body): French VAT, 20 %;
- a business elsewhere in the EU with a VAT number: no French VAT, the customer accounts
  for it (reverse charge, Article 196 of Directive 2006/112/EC);
- elsewhere in the EU without a VAT number: French VAT, 20 %;
- outside the EU: no French VAT (services to a business established abroad).
Every kind of customer follows the same rule, public bodies included: a public body
elsewhere in the EU that gives its VAT number is identified for VAT and accounts for it
(reverse charge), which is also what Stripe Tax does with the ``eu_vat`` tax id
billing.services.customers attaches whatever the kind.

France's overseas departments (Guadeloupe, Martinique, La Réunion, Guyane, Mayotte) are
part of France and of the European Union (outermost regions) but outside the EU VAT
territory. For services supplied from mainland France to a customer established there,
the place of supply is where the customer is established (art. 259-1 CGI) and the
reverse-charge rules do not apply between mainland France and the departments
(BOI-TVA-GEO-20-40 § 30): Fullmobs charges the department's VAT itself, 8.5 % in
Guadeloupe, Martinique and La Réunion (art. 296-1° CGI); in Guyane and Mayotte VAT is not
applicable (art. 294-1 CGI). Source: impots.gouv.fr, "Je réalise depuis la métropole une
prestation de services pour un client situé dans un DOM" (docs/decisions.md, "VAT").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FRENCH_RATE = Decimal("20.00")
# France's overseas departments: their own rate, or no VAT (art. 294-1 and 296 CGI).
DOM_RATE = Decimal("8.50")
DOM_TAXED = frozenset({"GP", "MQ", "RE"})
DOM_UNTAXED = frozenset({"GF", "YT"})
FRENCH_DOM = DOM_TAXED | DOM_UNTAXED

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
    note: str  # "" | "reverse_charge" | "outside_eu" | "dom" | "dom_untaxed"

    def amount(self, subtotal_cents: int) -> int:
        return int((Decimal(subtotal_cents) * self.rate / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP))


def vat_treatment(*, country: str, vat_number: str = "") -> VatTreatment:
    """The VAT of a customer's invoices, whatever its kind (see the module's rules)."""
    country = (country or "FR").upper()
    if country == "FR":
        return VatTreatment(FRENCH_RATE, "")
    if country in DOM_TAXED:
        return VatTreatment(DOM_RATE, "dom")
    if country in DOM_UNTAXED:
        return VatTreatment(Decimal("0.00"), "dom_untaxed")
    if country in EU_COUNTRIES:
        return VatTreatment(Decimal("0.00"), "reverse_charge") if vat_number \
            else VatTreatment(FRENCH_RATE, "")
    return VatTreatment(Decimal("0.00"), "outside_eu")


def stripe_tax_exempt(country: str) -> str:
    """The Stripe customer's ``tax_exempt`` that gives its invoices the treatment above:
    "exempt" where French VAT is not applicable in an overseas department (Stripe Tax
    would otherwise read a French address), "none" elsewhere (Stripe Tax decides from the
    address and the ``eu_vat`` tax id, as ``vat_treatment`` does)."""
    return "exempt" if (country or "").upper() in DOM_UNTAXED else "none"


def online_payment_taxes(country: str) -> bool:
    """Whether Stripe Tax (``automatic_tax``) can be trusted with this customer's VAT. Not
    for Guadeloupe, Martinique and La Réunion: their 8.5 % is a French rate outside the EU
    VAT territory that Fullmobs does not rely on Stripe Tax to apply, so those buyers get
    an offer and an invoice made by us instead of Checkout or an order online."""
    return (country or "").upper() not in DOM_TAXED
