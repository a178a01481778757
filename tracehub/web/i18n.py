"""The console's two languages: English (the source text) and Chinese (catalogs in locale/zh/*.po).

Templates write English inside `{{ _("...") }}` or `{% trans %}`; every `.po` file in
`locale/zh/` is read with Babel and merged, one file per page area, so a new page brings its own
catalog. A translation is trusted markup, so `_()` only ever gets literal English: values go in as
named arguments (`_("Lot %(lot)s", lot=value)`), which are escaped; text made in Python is
translated there (`gettext(request, ...)`).

A user's choice (stored with the user) wins, then this browser's choice (the session, for the
sign-in page), then the browser's Accept-Language, then English.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

LANGUAGES = {"en": "English", "zh": "中文"}
"""Language code -> its own name, as the switcher shows it."""
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(language: str) -> Translations:
    """Every catalog of `language` merged into one (English has none: it is the source text)."""
    merged = Catalog(locale=language, domain="messages")
    for path in sorted((LOCALE_DIR / language).glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=language, domain="messages"):
                if message.id:
                    merged[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def accepted(header: str | None) -> str | None:
    """The first of our languages the Accept-Language header asks for (q-values respected)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag.strip():
            ranked.append((-quality, position, tag.strip().replace("-", "_")))
    preferred = [tag for quality, _, tag in sorted(ranked) if quality < 0]
    return negotiate_locale(preferred, list(LANGUAGES), sep="_") or _by_language(preferred)


def _by_language(preferred: list[str]) -> str | None:
    """`zh-TW` or `zh-Hans-CN` still mean Chinese to us: match on the language part."""
    for tag in preferred:
        try:
            language = Locale.parse(tag, sep="_").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            return language
    return None


def language_of(request: Request) -> str:
    """The language to answer `request` in: the user's, the session's, the browser's, else English."""
    user = getattr(request.state, "user", None)
    chosen = getattr(user, "language", None) or request.session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return accepted(request.headers.get("accept-language")) or DEFAULT


def gettext(request: Request, message: str) -> str:
    """`message` (English) in the request's language, for text made in Python (flashes, errors)."""
    return translations(language_of(request)).gettext(message)
