"""Campaign descriptions: Markdown written by organisers, shown as sanitised HTML."""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote",
                "code", "pre", "hr"}


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML, then nh3 keeps only harmless tags: no script, no style, no
    images (they would load from anywhere), links with rel="noopener noreferrer"."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"])
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
