"""The encoding-aware table reader every package uses: partners' spreadsheets (CSV, TSV or XLSX) whatever their
encoding (UTF-8 with or without BOM, cp1251, GB18030) and separator, bad rows reported by line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from bigcats.problems import IntakeError, Problem

ENCODINGS = ("utf-8", "cp1251", "gb18030")
SEPARATORS = ",;\t"


_PUNCT = set("«»№—–“”‘’…、，。：；（）！？《》·")


def _plausibility(text: str) -> float:
    """Share of non-ASCII characters that are Cyrillic letters, common Chinese characters or their punctuation."""
    chars = [c for c in text if ord(c) > 127]
    if not chars:
        return 1.0
    good = 0
    for c in chars:
        if "\u0400" <= c <= "\u04ff" or c in _PUNCT:
            good += 1
        elif "\u4e00" <= c <= "\u9fff":
            # Chinese text is mostly GB2312 level-1 characters (lead byte B0-D7); misread bytes mostly are not.
            try:
                good += 0xB0 <= c.encode("gb2312")[0] <= 0xD7
            except UnicodeEncodeError:
                pass
    return good / len(chars)


def decode_text(raw: bytes, file: str = "<bytes>") -> tuple[str, str]:
    """Decode a spreadsheet's bytes: UTF-8 (BOM or not), else cp1251 or GB18030, whichever reads as real text."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = {}
    for enc in ("cp1251", "gb18030"):
        try:
            candidates[enc] = raw.decode(enc)
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise IntakeError([Problem("unknown-encoding", "text is neither UTF-8, cp1251 nor GB18030; save it as UTF-8",
                                   file=file)], file)
    if len(candidates) == 1:
        enc = next(iter(candidates))
        return candidates[enc], enc
    enc = max(("cp1251", "gb18030"), key=lambda e: _plausibility(candidates[e]))  # ties go to cp1251
    return candidates[enc], enc


def sniff_separator(text: str) -> str:
    """The field separator of a CSV text: comma, semicolon or tab."""
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=SEPARATORS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return max(SEPARATORS, key=first.count)


class Lines(tuple):
    """Spreadsheet line numbers of a table's rows, kept in its attrs. Immutable, so a deep copy is itself: pandas
    deep-copies attrs into every derived frame, and copying a list of 43,000 ints made each step cost seconds."""

    def __deepcopy__(self, memo) -> Lines:
        return self


def read_table(path: str | Path, sheet: str | int | None = None, text: str | None = None) -> pd.DataFrame:
    """Read a CSV/XLSX table as strings (empty cells are NA); refuse it, listing every bad row, if any is unreadable.

    The frame's attrs carry 'file', 'encoding', 'separator' and 'lines' (the spreadsheet line of each row).
    """
    path = Path(path)
    label = str(path)
    if text is None and path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
        except Exception as exc:  # openpyxl raises many kinds; the user needs the file and the reason
            raise IntakeError([Problem("unreadable-table", f"cannot read the workbook: {exc}", file=label)],
                              label) from exc
        df.columns = [str(c).strip() for c in df.columns]
        df = df.astype("string")
        df.attrs.update(file=label, encoding="xlsx", separator=None, lines=Lines(range(2, len(df) + 2)))
        return _strip(df)
    if text is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise IntakeError([Problem("missing-file", f"cannot read: {exc.strerror}", file=label)], label) from exc
        text, encoding = decode_text(raw, label)
    else:
        encoding = "str"
    sep = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:
        raise IntakeError([Problem("empty-table", "the file is empty", file=label)], label) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    rows, lines, problems = [], [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines at the end of spreadsheets are not records
            if len(row) != len(header):
                problems.append(Problem("unreadable-row", f"row has {len(row)} fields, the header has {len(header)}",
                                        file=label, row=reader.line_num, value=sep.join(row)[:80]))
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        problems.append(Problem("unreadable-row", f"CSV syntax error: {exc}", file=label, row=reader.line_num + 1))
    if problems:
        raise IntakeError(problems, label)
    df = pd.DataFrame(rows, columns=header, dtype="string")
    df.attrs.update(file=label, encoding=encoding, separator=sep, lines=Lines(lines))
    return _strip(df)


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        s = df[col].str.strip()
        df[col] = s.mask(s.eq(""))
    return df
