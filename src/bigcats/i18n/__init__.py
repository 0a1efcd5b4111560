"""Translations (Babel/gettext catalogues) and locale-aware formatting for en, ru, zh and mn.

Catalogues live as `.po` files in `i18n/locale/<lang>/LC_MESSAGES/<domain>.po` and are compiled in memory when
first used, so no build step is needed; each user-facing part has its own domain (`web`, `report`).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "ru", "zh", "mn")
# CLDR locales: Chinese is written in simplified script on the partners' side of the border.
CLDR = {"en": "en", "ru": "ru", "zh": "zh_Hans_CN", "mn": "mn"}


def check_language(lang: str) -> str:
    """The language code if bigcats speaks it, else a ValueError listing those it does."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: bigcats speaks {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=32)
def translations(lang: str, domain: str) -> NullTranslations:
    """The gettext translations of a domain in a language (English, or a missing catalogue, passes through)."""
    check_language(lang)
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if lang == "en" or not po.exists():
        return NullTranslations()
    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=CLDR[lang], domain=domain)
    buffer = io.BytesIO()
    # Fuzzy entries are drafts nobody checked: left out, so the reader sees English rather than a wrong text.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


def locale(lang: str) -> Locale:
    """The CLDR locale used for numbers and dates in a language."""
    return Locale.parse(CLDR[check_language(lang)])


def format_number(value: float, lang: str, digits: int = 0) -> str:
    """A number in the reader's locale (digit grouping and decimal mark)."""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return _format_decimal(value, format=fmt, locale=locale(lang))


def format_date(value: date | datetime, lang: str, style: str = "medium") -> str:
    """A date in the reader's locale."""
    return _format_date(value, format=style, locale=locale(lang))
