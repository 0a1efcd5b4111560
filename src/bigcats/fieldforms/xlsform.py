"""Write the field forms as XLSForm workbooks (openpyxl) and convert them to XForms with pyxform, as ODK does."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from bigcats.errors import BigcatsError
from bigcats.fieldforms.definitions import Form, all_forms


class FormError(BigcatsError):
    """A form does not convert (pyxform's error or warnings, verbatim)."""


def _sheet(wb: Workbook, title: str, rows: list[dict]) -> None:
    ws = wb.create_sheet(title)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(c, "") for c in columns])
    for i, col in enumerate(columns, start=1):  # readable widths for the person who edits it
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(48, max(10, len(col) + 2))
    ws.freeze_panes = "A2"


def write_form(form: Form, folder: str | Path) -> Path:
    """Write one form as `<form_id>.xlsx` (sheets survey, choices, settings) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "survey", form.survey)
    _sheet(wb, "choices", form.choices)
    _sheet(wb, "settings", [form.settings()])
    path = folder / f"{form.form_id}.xlsx"
    wb.save(path)
    return path


def convert(path: str | Path, xml_out: str | Path | None = None,
            default_language: str | None = None) -> tuple[str, list[str]]:
    """The XForm XML of an XLSForm and pyxform's warnings (with any of the four languages as the default one);
    FormError if pyxform refuses it."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert as pyxform_convert

    warnings: list[str] = []
    try:
        result = pyxform_convert(xlsform=str(path), warnings=warnings, validate=False, pretty_print=True,
                                 default_language=default_language)
    except PyXFormError as exc:
        raise FormError(f"{path}: pyxform refuses the form: {exc}") from None
    if xml_out is not None:
        Path(xml_out).write_text(result.xform, encoding="utf-8")
    return result.xform, list(dict.fromkeys(warnings + list(result.warnings or [])))


def write_forms(folder: str | Path, xforms: bool = True) -> list[dict]:
    """Write every form as XLSX (and its XForm XML beside it); refuse if any converts with a warning."""
    written = []
    for form in all_forms():
        path = write_form(form, folder)
        xml_path = path.with_suffix(".xml") if xforms else None
        _, warnings = convert(path, xml_path)
        if warnings:
            raise FormError(f"{path}: pyxform warns: " + "; ".join(warnings))
        written.append({"form_id": form.form_id, "xlsx": str(path), "xform": str(xml_path) if xml_path else None,
                        "questions": sum(1 for r in form.survey if r["type"] not in ("start", "end", "end_group",
                                                                                    "end_repeat")),
                        "choices": len(form.choices)})
    return written
