"""`bigcats forms write DIR`: the field forms as XLSForm workbooks (and their XForms) for ODK Collect / Kobo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import JsonOption, emit

app = BigcatsTyper(help="Field forms for phones: camera-station visit, winter track census, incidental sign.",
                  no_args_is_help=True)


@app.command("write")
def write(
    folder: Annotated[Path, typer.Argument(help="Folder to write the .xlsx forms (and .xml XForms) into.")],
    xforms: Annotated[bool, typer.Option("--xforms/--no-xforms", help="Also write each form's XForm XML.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Write the forms in English, Russian, Chinese and Mongolian; each is checked with pyxform."""
    from bigcats.fieldforms.xlsform import write_forms

    written = write_forms(folder, xforms=xforms)
    emit({"forms": written}, as_json,
         human="\n".join(f"{w['form_id']}: {w['xlsx']} ({w['questions']} questions, {w['choices']} choices)"
                         for w in written))
