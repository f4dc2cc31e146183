"""Report sections that apps above ``reports`` add to the PDF impact report.

``reports`` sits below ``lab`` (and may not import it), yet the report should say what the
lab found. So a higher app registers a ``ReportSection`` from its ``AppConfig.ready()``:
a key (the section's anchor), its place among the other registered sections, a title
and a context function, both called in the report's language, and the template that
renders the context. ``report.html`` renders the registered sections in order, after
"What made people react" and before the consultant's commentary, each in the table of
contents. A context function returning None hides its section (nothing to say for this
report). ``reports`` never names the apps that register: a section is what they give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engagement.models import Campaign

    from .models import Report


@dataclass(frozen=True)
class SectionScope:
    """What a section is asked about: the report (its scope: a programme, a period or
    one campaign), the campaigns it covers (drafts left out, as everywhere in the report)
    and its language (already active when the functions are called)."""

    report: Report
    campaigns: tuple[Campaign, ...]
    language: str


@dataclass(frozen=True)
class ReportSection:
    key: str
    order: int
    template: str
    title: Callable[[], str]
    context: Callable[[SectionScope], dict[str, Any] | None]


_SECTIONS: dict[str, ReportSection] = {}


def register(section: ReportSection) -> None:
    """Add (or, registered again under its key, replace) a section."""
    _SECTIONS[section.key] = section


def unregister(key: str) -> None:
    _SECTIONS.pop(key, None)


def registered() -> list[ReportSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def sections_for(scope: SectionScope) -> list[dict[str, Any]]:
    """The sections this report shows, in order: key, title, template, context."""
    shown = []
    for section in registered():
        context = section.context(scope)
        if context is not None:
            shown.append({"key": section.key, "title": section.title(),
                          "template": section.template, "context": context})
    return shown
