"""Partners' spreadsheets for intake: the one encoding-aware reader of `bigcats.core.tables` (re-exported)."""

from bigcats.core.tables import ENCODINGS, SEPARATORS, decode_text, read_table, sniff_separator  # noqa: F401
