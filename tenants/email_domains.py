"""The e-mail domains whose people may join an organisation's internal campaigns.

An address at one of them proves, through the link e-mailed to it, that its holder belongs
to the organisation. A public webmail domain proves nothing (anyone can open an address
there), so it is never suggested and never accepted.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Domains where anyone can open an address. Kept short and plain: the big international
# providers and the French ISPs whose addresses people use as personal ones.
PUBLIC_WEBMAIL = frozenset({
    "aol.com", "free.fr", "gmail.com", "gmx.com", "gmx.de", "gmx.fr", "googlemail.com",
    "hotmail.com", "hotmail.fr", "icloud.com", "laposte.net", "live.com", "live.fr",
    "mac.com", "mail.com", "mail.ru", "me.com", "msn.com", "neuf.fr", "orange.fr",
    "outlook.com", "outlook.fr", "proton.me", "protonmail.com", "sfr.fr", "wanadoo.fr",
    "yahoo.com", "yahoo.fr", "yandex.com", "yandex.ru", "zoho.com",
})

MAX_DOMAINS = 20
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")


def domain_of(email: str) -> str:
    return (email or "").rsplit("@", 1)[-1].strip().lower() if "@" in (email or "") else ""


def suggested_domains(*emails: str) -> list[str]:
    """The domains of these addresses (an owner's), without public webmail ones."""
    domains: list[str] = []
    for email in emails:
        domain = domain_of(email)
        if domain and domain not in PUBLIC_WEBMAIL and domain not in domains \
                and _DOMAIN.match(domain):
            domains.append(domain)
    return domains


def parse_domains(text: str) -> list[str]:
    """Domains typed in a box: separated by commas, spaces or lines; "@acme.com" and
    "ACME.com" both read as "acme.com"; duplicates dropped, order kept."""
    domains: list[str] = []
    for item in re.split(r"[\s,;]+", text or ""):
        item = item.strip().lower().lstrip("@").rstrip(".")
        if item and item not in domains:
            domains.append(item)
    return domains


def domain_errors(domains: list[str]) -> list[str]:
    """What is wrong with a list of allowed domains, one message per problem."""
    errors = []
    if len(domains) > MAX_DOMAINS:
        errors.append(_("Give at most %(n)s domains.") % {"n": MAX_DOMAINS})
    for domain in domains:
        if len(domain) > 100 or not _DOMAIN.match(domain):
            errors.append(_("“%(domain)s” is not an e-mail domain (for example: acme.com).")
                          % {"domain": domain})
        elif domain in PUBLIC_WEBMAIL:
            errors.append(_("“%(domain)s” is a public e-mail service: anyone can have an "
                            "address there, so it cannot open internal campaigns.")
                          % {"domain": domain})
    return errors
