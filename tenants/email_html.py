"""E-mails in HTML with their plain text: one frame for every e-mail the product sends.

The words are written once, as plain text (the templates and the programmes' messages);
the HTML part is made from that text, so the two always say the same thing:

- every character of the text is escaped (names, titles and the organiser's wording are
  untrusted), and only ``http(s)://`` addresses become links;
- a line "Label: https://…" becomes the link "Label" (a bare address stays visible);
- the link the message is about (``action_url``) becomes a button under its sentence;
- what follows the signature separator ``"-- "`` is the small print under the card.

The frame is tables with inline styles (what Outlook and Gmail render alike), at most
600 px wide and fluid below that; it loads no image but the organisation's own logo, from
an absolute address on its site. Who chooses the colours and logo (the "branded space"
option) is the caller's business: this module only draws the ``Brand`` it is given.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FULLMOBS_GREEN = "#1d6f42"
# An address ends before the punctuation of the sentence around it ("… at https://x/c/a.").
_ADDRESS = r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)]"
URL_RE = re.compile(_ADDRESS)
# "Label: https://…" (French puts a space, often a no-break one, before the colon).
LABELLED_URL_RE = re.compile(rf"^(?P<label>.*\S)\s*:\s*(?P<url>{_ADDRESS})$")
SIGNATURE_SEPARATOR = "\n-- \n"
TEXT_COLOUR = "#1f2933"


@dataclass(frozen=True)
class Brand:
    """Who the e-mail comes from, as drawn in its frame."""

    name: str
    colour: str = FULLMOBS_GREEN
    logo_url: str = ""
    # "Sent with Fullmobs" under an organisation's e-mail without its own branding.
    by_fullmobs: bool = True


@dataclass
class Paragraph:
    lines: list[SafeString] = field(default_factory=list)
    button: str = ""


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_colours(colour: str) -> tuple[str, str, str]:
    """(button background, button text, link colour) from a brand colour: a pale brand
    colour keeps the button but gets dark text, and links fall back to the text colour."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour or ""):
        colour = FULLMOBS_GREEN
    on_colour = "#ffffff" if contrast(colour, "#ffffff") >= contrast(colour, "#000000") \
        else "#000000"
    link = colour if contrast(colour, "#ffffff") >= 4.5 else TEXT_COLOUR
    return colour, on_colour, link


# French puts a space before ? ! ; : » and after «: a no-break one, so that the sign never
# starts a line on its own (the texts are typed with plain spaces).
_BEFORE_SIGN = re.compile(r" (?=[?!;»])")
_BEFORE_COLON = re.compile(r" (?=:)")
_AFTER_QUOTE = re.compile(r"« ")


def typeset(text: str) -> str:
    text = _BEFORE_COLON.sub("\u00a0", _BEFORE_SIGN.sub("\u202f", text))
    return _AFTER_QUOTE.sub("«\u202f", text)


def _text(text: str) -> str:
    return str(escape(typeset(text)))


def _link(url: str, text: str, colour: str) -> str:
    return (f'<a href="{escape(url)}" style="color:{colour};text-decoration:underline;'
            f'overflow-wrap:anywhere;word-break:break-word">{_text(text)}</a>')


def _line_html(line: str, colour: str) -> SafeString:
    labelled = LABELLED_URL_RE.match(line)
    if labelled:
        return mark_safe(_link(labelled["url"], labelled["label"], colour))  # noqa: S308
    parts, position = [], 0
    for match in URL_RE.finditer(line):
        parts += [_text(line[position:match.start()]),
                  f'<a href="{escape(match[0])}" style="color:{colour};text-decoration:'
                  f'underline;overflow-wrap:anywhere;word-break:break-word">'
                  f'{escape(match[0])}</a>']
        position = match.end()
    parts.append(_text(line[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped just above


def _paragraphs(text: str, *, action_url: str, colour: str) -> tuple[list[Paragraph], bool]:
    """The text's paragraphs as escaped HTML lines; the action's line, if the text has it,
    keeps its words and hands its address to the button right under it (the lines after
    it, which may say "the link above", start a new paragraph below the button)."""
    paragraphs, button_placed = [], False
    for block in re.split(r"\n\s*\n", text.strip()):
        paragraph = Paragraph()
        for line in block.splitlines():
            line = line.strip()
            if not line:
                continue
            if action_url and not button_placed and action_url in line:
                button_placed = True
                # "Your pledges: <address>" keeps "Your pledges:", the button follows.
                words = line.replace(action_url, "").strip()
                if words:
                    paragraph.lines.append(mark_safe(_text(words)))  # noqa: S308 - escaped
                paragraph.button = action_url
                paragraphs.append(paragraph)
                paragraph = Paragraph()
                continue
            paragraph.lines.append(_line_html(line, colour))
        if paragraph.lines or paragraph.button:
            paragraphs.append(paragraph)
    return paragraphs, button_placed


def email_html(*, subject: str, body: str, language: str, brand: Brand,
               action_url: str = "", action_label: str = "") -> str:
    """The HTML part of an e-mail whose plain text is ``body`` (see the module docstring)."""
    button_colour, button_text, link_colour = readable_colours(brand.colour)
    main, _separator, small_print = body.partition(SIGNATURE_SEPARATOR)
    paragraphs, placed = _paragraphs(main, action_url=action_url, colour=link_colour)
    if action_url and not placed:
        paragraphs.append(Paragraph(button=action_url))
    footer, _placed = _paragraphs(small_print, action_url="", colour=TEXT_COLOUR)
    preview = next((p.lines for p in paragraphs[1:] if p.lines), None) \
        or next((p.lines for p in paragraphs if p.lines), [])
    return render_to_string("tenants/email/layout.html", {
        "subject": typeset(subject), "language": language, "brand": brand,
        "paragraphs": paragraphs, "footer": footer,
        # The lines are HTML already: their text, unescaped, cut, and escaped once by the
        # template (escaping it again would show "&#x27;" in the inbox's preview).
        "preview": html.unescape(re.sub(r"<[^>]+>", "", " ".join(preview)))[:140],
        "action_label": action_label, "button_colour": button_colour,
        "button_text": button_text, "link_colour": link_colour, "text_colour": TEXT_COLOUR,
    })


def email_build(*, subject: str, body: str, to: list[str], language: str, brand: Brand,
                action_url: str = "", action_label: str = "",
                headers: dict[str, str] | None = None,
                from_email: str | None = None) -> EmailMultiAlternatives:
    """The e-mail with its plain text first and the HTML alternative after it (clients show
    the last part they can read)."""
    message = EmailMultiAlternatives(subject=subject, body=body,
                                     from_email=from_email or settings.DEFAULT_FROM_EMAIL,
                                     to=to, headers=headers or {})
    message.attach_alternative(email_html(subject=subject, body=body, language=language,
                                          brand=brand, action_url=action_url,
                                          action_label=action_label), "text/html")
    return message


# Account e-mails (welcome, invitations, address checks, password resets) come from
# Fullmobs itself, whichever organisation they are about.
FULLMOBS = Brand(name="Fullmobs", by_fullmobs=False)


def account_email_send(*, subject: str, body: str, to: str, language: str,
                       action_url: str = "", action_label: str = "") -> None:
    """Send an account e-mail with its HTML part, in Fullmobs' frame."""
    email_build(subject=subject, body=body, to=[to], language=language, brand=FULLMOBS,
                action_url=action_url, action_label=action_label).send()
