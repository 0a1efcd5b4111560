"""Everything a report says in one language: catalogue messages, numbers, dates, species and country names.

Messages come from the `report` catalogue (English passes through, and a message missing from a catalogue falls
back to English rather than to nothing); numbers and dates from CLDR through bigcats.i18n; species names from
the species table; country names from CLDR.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd
from babel.numbers import format_percent

from bigcats.i18n import LANGUAGES, format_date, format_number, locale, translations
from bigcats.report.errors import ReportError

DOMAIN = "report"
# Country sides are stored as ISO 3166 alpha-3; CLDR names territories by alpha-2.
ISO2 = {"RUS": "RU", "CHN": "CN", "MNG": "MN", "PRK": "KP", "KOR": "KR", "JPN": "JP", "KAZ": "KZ"}
DASH = "–"


class Words:
    """The words and formats of one language for a report."""

    def __init__(self, language: str, species: pd.DataFrame | None = None) -> None:
        if language not in LANGUAGES:
            raise ReportError(f"language {language!r}: reports are written in {', '.join(LANGUAGES)}")
        self.language = language
        self._t = translations(language, DOMAIN)
        self._species = species

    def gettext(self, message: str) -> str:
        """The message in this language (English if the catalogue lacks it)."""
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural message for n, by this language's plural rules."""
        return self._t.ngettext(singular, plural, n)

    def number(self, value: Any, digits: int = 0) -> str:
        """A number in the reader's locale; a missing value is a dash, never 'nan'."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
            return DASH
        return format_number(float(value), self.language, digits)

    def interval(self, estimate: Any, lower: Any, upper: Any, digits: int = 1) -> str:
        """'estimate (lower–upper)' in the reader's locale."""
        if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
            return self.number(estimate, digits)
        return f"{self.number(estimate, digits)} ({self.number(lower, digits)}{DASH}{self.number(upper, digits)})"

    def percent(self, value: Any, digits: int = 0) -> str:
        """A fraction as a percentage in the reader's locale."""
        if value is None or pd.isna(value):
            return DASH
        fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(float(value), format=fmt, locale=locale(self.language))

    def date(self, value: date | datetime | pd.Timestamp, style: str = "long") -> str:
        """A date in the reader's locale."""
        if isinstance(value, pd.Timestamp):
            value = value.date()
        return format_date(value, self.language, style)

    def species(self, scientific_name: str) -> str:
        """The species' common name in this language from the species table (English, then Latin, if missing)."""
        table = self._species
        if table is not None and scientific_name in table.index:
            row = table.loc[scientific_name]
            for col in (self.language, "en"):
                name = row.get(col)
                if isinstance(name, str) and name.strip():
                    return name
        return scientific_name

    def country(self, code: str, default: str | None = None) -> str:
        """A country side's name in this language (CLDR); 'all' is the whole area."""
        if code == "all":
            return self.gettext("both sides")
        iso2 = ISO2.get(str(code))
        if iso2 is None:
            return str(code) if default is None else default
        return locale(self.language).territories.get(iso2, str(code))

    def sides(self, joined: str) -> str:
        """'CHN|RUS' as the country names joined by a comma."""
        return ", ".join(self.country(c) for c in str(joined).split("|") if c)
