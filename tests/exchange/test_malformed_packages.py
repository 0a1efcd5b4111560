"""Malformed Camtrap DP packages, fed to every entry point that takes one: never a traceback, always a sentence
naming file, row and field, exit code 1, and the database exactly as before.

Each case breaks a copy of the official Camtrap DP example (real data) in one way a partner's file has been seen
broken: a descriptor in UTF-16, `resources` that is not a list, a path that is a number, a zip without a table it
names, a `.zip` that is not a zip, ragged CSV rows, JSON that is not an object, NaN in JSON, cells over the size
limits, a duplicated key, a byte that is not UTF-8 in row 300.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.importer import check_package, import_package
from bigcats.problems import DataError
from bigcats.store.db import open_store, table_counts


def _copy(example: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in example.iterdir():
        if f.is_file():
            shutil.copy(f, folder / f.name)
    return folder


def _descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def _zip(folder: Path, out: Path, leave_out: str | None = None) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(folder.iterdir()):
            if f.name != leave_out:
                zf.write(f, f"pkg/{f.name}")
    return out


def utf16(example, tmp):
    folder = _copy(example, tmp / "p")
    text = (folder / "datapackage.json").read_text(encoding="utf-8")
    (folder / "datapackage.json").write_bytes(text.encode("utf-16"))
    return folder, {"file": "datapackage.json", "code": "invalid-encoding", "row": 1}


def resources_not_a_list(example, tmp):
    folder = _copy(example, tmp / "p")
    d = _descriptor(folder)
    d["resources"] = {"deployments": "deployments.csv"}
    (folder / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    return folder, {"file": "datapackage.json", "field": "resources", "code": "invalid-descriptor"}


def path_is_a_number(example, tmp):
    folder = _copy(example, tmp / "p")
    d = _descriptor(folder)
    d["resources"][1]["path"] = 42
    (folder / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    return folder, {"file": "datapackage.json", "field": "resources/1/path", "code": "invalid-descriptor"}


def zip_lacks_a_table(example, tmp):
    folder = _copy(example, tmp / "p")
    return _zip(folder, tmp / "pkg.zip", leave_out="media.csv"), {"file": "media.csv", "code": "missing-file"}


def zip_that_is_not_a_zip(example, tmp):
    bad = tmp / "pkg.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    return bad, {"file": str(bad), "code": "invalid-archive"}


def ragged_rows(example, tmp):
    folder = _copy(example, tmp / "p")
    lines = (folder / "deployments.csv").read_text(encoding="utf-8").splitlines()
    extra = [lines[1], lines[2]]  # 6 data rows: rows 2..7 as a spreadsheet counts (header is row 1)
    rows = lines[1:] + extra
    rows = [r.replace(r.split(",")[0], r.split(",")[0] + f"-{i}", 1) for i, r in enumerate(rows)]
    rows[3] = rows[3] + ",surplus"  # row 5
    rows[5] = ",".join(rows[5].split(",")[:5])  # row 7
    (folder / "deployments.csv").write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return folder, {"file": "deployments.csv", "code": "ragged-row", "rows": {5, 7}}


def not_an_object(example, tmp):
    folder = _copy(example, tmp / "p")
    (folder / "datapackage.json").write_text(json.dumps([_descriptor(folder)]), encoding="utf-8")
    return folder, {"file": "datapackage.json", "code": "invalid-descriptor"}


def nan_in_json(example, tmp):
    folder = _copy(example, tmp / "p")
    text = (folder / "datapackage.json").read_text(encoding="utf-8")
    d = json.loads(text)
    d["spatial"]["bbox"] = [float("nan"), 1.0, 2.0, 3.0]
    (folder / "datapackage.json").write_text(json.dumps(d, indent=2), encoding="utf-8")  # Python writes NaN
    return folder, {"file": "datapackage.json", "code": "invalid-json", "value": "NaN"}


def huge_cell(example, tmp):
    folder = _copy(example, tmp / "p")
    obs = pd.read_csv(folder / "observations.csv", dtype=str, keep_default_na=False)
    obs.loc[6, "observationComments"] = "x" * 100_000
    obs.to_csv(folder / "observations.csv", index=False)
    return folder, {"file": "observations.csv", "code": "field-too-large", "row": 8,
                    "field": "observationComments"}


def row_over_the_block(example, tmp):
    folder = _copy(example, tmp / "p")
    media = pd.read_csv(folder / "media.csv", dtype=str, keep_default_na=False)
    media.loc[10, "mediaComments"] = "y" * (6 << 20)
    media.to_csv(folder / "media.csv", index=False)
    return folder, {"file": "media.csv", "code": "field-too-large"}


def duplicate_key(example, tmp):
    folder = _copy(example, tmp / "p")
    obs = pd.read_csv(folder / "observations.csv", dtype=str, keep_default_na=False)
    obs.loc[40, "observationID"] = obs.loc[3, "observationID"]
    obs.to_csv(folder / "observations.csv", index=False)
    return folder, {"file": "observations.csv", "code": "unique", "row": 42, "field": "observationID",
                    "value": obs.loc[3, "observationID"], "message": "already in row 5"}


def invalid_utf8_in_a_row(example, tmp):
    folder = _copy(example, tmp / "p")
    lines = (folder / "observations.csv").read_bytes().split(b"\n")
    assert b"animal" in lines[299]
    lines[299] = lines[299].replace(b"animal", b"anim\xffal", 1)  # row 300 (the header is row 1)
    (folder / "observations.csv").write_bytes(b"\n".join(lines))
    return folder, {"file": "observations.csv", "code": "unreadable-table", "row": 300}


CASES: dict[str, Callable] = {f.__name__: f for f in (
    utf16, resources_not_a_list, path_is_a_number, zip_lacks_a_table, zip_that_is_not_a_zip, ragged_rows,
    not_an_object, nan_in_json, huge_cell, row_over_the_block, duplicate_key, invalid_utf8_in_a_row)}


@pytest.fixture
def example(shared_data):
    return shared_data / "camtrap-dp-example"


def _matches(problems: list[dict], expect: dict) -> None:
    """At least one problem carries what is expected; ragged rows: exactly those rows."""
    want = {k: v for k, v in expect.items() if k not in ("rows", "message")}
    hits = [p for p in problems if all(str(p.get(k, "")).endswith(str(v)) if k == "file" else p.get(k) == v
                                       for k, v in want.items())]
    assert hits, f"no problem like {expect} in {problems}"
    if "message" in expect:
        assert any(expect["message"] in p["message"] for p in hits)
    if "rows" in expect:
        assert {p["row"] for p in hits} == expect["rows"]


def _unchanged(url: str, before: dict) -> None:
    assert table_counts(open_store(url)) == before


def _seeded(url: str, example: Path) -> dict:
    engine = open_store(url)
    import_package(engine, example, "SEED")
    return table_counts(engine)


@pytest.mark.parametrize("case", list(CASES))
def test_library_import_refuses_with_file_row_field(case, example, sqlite_url, tmp_path):
    path, expect = CASES[case](example, tmp_path)
    before = _seeded(sqlite_url, example)
    with pytest.raises(DataError) as info:
        import_package(open_store(sqlite_url), path, "P")
    _matches([p.to_dict() for p in info.value.problems.problems], expect)
    _unchanged(sqlite_url, before)


@pytest.mark.parametrize("case", list(CASES))
def test_cli_import_validate_and_ingest_refuse_without_traceback(case, example, sqlite_url, tmp_path):
    path, expect = CASES[case](example, tmp_path)
    before = _seeded(sqlite_url, example)
    runner = CliRunner()
    for args in (["import", "camtrap-dp", str(path), "--partner", "P", "--db", sqlite_url],
                 ["validate", str(path)],
                 ["ingest", str(path), "--partner", "P", "--db", sqlite_url]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output and "internal error" not in res.output, res.output
        assert Path(expect["file"]).name in res.output, res.output
        if "row" in expect:
            assert f"row {expect['row']}" in res.output, res.output
        if "field" in expect:
            assert f"field '{expect['field']}'" in res.output, res.output
        res = runner.invoke(app, [*args, "--json"])
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        doc = json.loads(res.stdout)
        _matches(doc["problems"], expect)
    _unchanged(sqlite_url, before)


def test_ragged_rows_are_reported_by_their_real_rows_even_past_a_chunk(example, tmp_path):
    folder = _copy(example, tmp_path / "p")
    lines = (folder / "observations.csv").read_text(encoding="utf-8").splitlines()
    lines[300] += ",one too many"  # row 301
    lines[451] = lines[451].rsplit(",", 3)[0]  # row 452
    (folder / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = check_package(folder, chunksize=100)
    ragged = [p for p in result["problems"] if p["code"] == "ragged-row"]
    assert {p["row"] for p in ragged} == {301, 452}
    assert all(p["file"] == "observations.csv" for p in ragged)


def test_utf8_bom_descriptor_is_read(example, tmp_path):
    folder = _copy(example, tmp_path / "p")
    text = (folder / "datapackage.json").read_text(encoding="utf-8")
    (folder / "datapackage.json").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert check_package(folder)["valid"]


def test_every_problem_is_listed_in_json_and_the_text_says_where_the_rest_are(example, tmp_path):
    folder = _copy(example, tmp_path / "p")
    media = pd.read_csv(folder / "media.csv", dtype=str, keep_default_na=False)
    media["favorite"] = "maybe"  # 423 problems, more than the old cap of 200
    media.to_csv(folder / "media.csv", index=False)
    res = CliRunner().invoke(app, ["validate", str(folder), "--json"])
    doc = json.loads(res.stdout)
    assert doc["total"] == 423 and len(doc["problems"]) == 423
    res = CliRunner().invoke(app, ["validate", str(folder)])
    assert "403 more problem(s) (--json lists them all)" in res.output
