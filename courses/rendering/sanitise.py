"""The allow-list every rendered text passes through (:mod:`nh3`, the Python binding of the
ammonia sanitiser), whatever produced it.

The Markdown renderer already escapes authors' raw HTML; this is the second wall. Kept: the
tags Markdown produces, tables with their column alignment (as classes: no ``style`` attribute
gets through), the maths placeholders, mixed numbers' no-wrap spans and the highlighter's
classes. Links keep http, https, mailto and relative addresses and get ``rel="noopener
noreferrer nofollow"``; images only load from the site's own media and static folders, by a
plain path (no dot segments, escapes or empty segments a browser could resolve elsewhere), so a
text never makes a reader's browser fetch from elsewhere. Scripts, styles, event handlers,
forms, frames, SVG and ``data:`` addresses go. ``tests/test_sanitise_fuzz.py`` fuzzes it.
"""
from __future__ import annotations

import re

import nh3
from django.conf import settings
from pygments.token import STANDARD_TYPES

TAGS = frozenset({
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "span", "div",
    "table", "thead", "tbody", "tr", "th", "td",
})
# Removed with everything inside them (the other disallowed tags lose only their tags).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "svg", "math", "template", "iframe",
                                  "object", "embed", "noscript", "textarea", "select"})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "ol": {"start"},
}
ALIGNMENTS = frozenset({"align-left", "align-center", "align-right"})
CLASSES = {
    "span": frozenset({"math", "number", "missing-image",
                       *(name for name in STANDARD_TYPES.values() if name)}),
    "div": frozenset({"math"}),
    "pre": frozenset({"highlight"}),
    "img": frozenset({"content-image"}),
    "th": ALIGNMENTS,
    "td": ALIGNMENTS,
}
DISPLAY_VALUES = {"span": {"data-display": {"0"}}, "div": {"data-display": {"1"}}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def image_sources() -> tuple[str, ...]:
    """The address prefixes an image may load from: the site's media and static folders."""
    return tuple(_site_path(prefix) for prefix in (settings.MEDIA_URL, settings.STATIC_URL))


def _site_path(prefix: str) -> str:
    return prefix if prefix.startswith("/") else f"/{prefix}"


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _is_site_image(value) else None
    if attribute in {"width", "height", "start"}:
        return value if value.isdigit() and len(value) <= 6 else None
    if tag == "img" and attribute == "loading":
        return value if value == "lazy" else None
    return value


# One segment of an image's path: names with dots inside, never "." or "..", "%" or "\\".
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*")


def _is_site_image(source: str) -> bool:
    for prefix in image_sources():
        if source.startswith(prefix):
            segments = source.removeprefix(prefix).split("/")
            return all(_PATH_SEGMENT.fullmatch(segment) for segment in segments)
    return False


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes=ATTRIBUTES,
    attribute_filter=_filter,
    link_rel="noopener noreferrer nofollow",
    tag_attribute_values=DISPLAY_VALUES,
    url_schemes=set(URL_SCHEMES),
    allowed_classes=CLASSES,
)


def clean(html: str) -> str:
    """``html`` with everything outside the allow-list removed."""
    return _CLEANER.clean(html)
