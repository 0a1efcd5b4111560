"""Camtrap DP in and out: the official example, round trips, idempotency and refused bad input."""

from __future__ import annotations

import json
import shutil
import zipfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.camtrapdp.importer import import_package, validate_package
from bigcats.exchange.camtrapdp.package import open_package
from bigcats.exchange.camtrapdp.validate import validate_with_frictionless
from bigcats.problems import DataError
from bigcats.store.db import open_store, table_counts


@pytest.fixture
def example(shared_data):
    return shared_data / "camtrap-dp-example"


def test_official_example_imports_completely_and_only_once(db_url, example):
    engine = open_store(db_url)
    first = import_package(engine, example, "INBO", country="BEL")
    assert first.added["deployment"] == 4
    assert first.added["media"] == 423
    assert first.added["observation"] == 549
    counts = table_counts(engine)
    assert (counts["deployment"], counts["media"], counts["observation"]) == (4, 423, 549)
    again = import_package(engine, example, "INBO", country="BEL")
    assert again.added == {}
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "intake_batch"} == \
        {k: v for k, v in counts.items() if k != "intake_batch"}


def _typed(path, name):
    """A package table with values typed by the schema (so 1.30 equals 1.3)."""
    from bigcats.exchange.camtrapdp.package import table_schema
    from bigcats.exchange.camtrapdp.validate import check_chunk
    from bigcats.problems import ProblemList

    pkg = open_package(path)
    frames = [check_chunk(c, table_schema(name), f, line, ProblemList()) for f, line, c in pkg.iter_chunks(name)]
    df = pd.concat(frames, ignore_index=True).drop(columns="_line")
    key = {"deployments": "deploymentID", "media": "mediaID", "observations": "observationID"}[name]
    return df.sort_values(key).reset_index(drop=True)


def test_export_round_trip_validates_and_holds_the_same_rows(db_url, example, tmp_path):
    engine = open_store(db_url)
    import_package(engine, example, "INBO")
    out = tmp_path / "export"
    result = export_package(engine, out)
    assert result.rows["deployments"] == 4 and result.rows["media"] == 423 and result.rows["observations"] == 549
    package = open_package(out)
    problems, _ = validate_package(package)
    assert not problems, problems.summary()
    assert validate_with_frictionless(package) == []
    for name in ("deployments", "media", "observations"):
        original, exported = _typed(example, name), _typed(out, name)
        assert list(original.columns) == list(exported.columns)
        for col in original.columns:
            if col == "exifData":
                # The three malformed EXIF blobs of the official example are wrapped, not lost.
                bad = original[col].notna() & exported[col].ne(original[col])
                assert bad.sum() == 3
                assert all(json.loads(e)["bigcats:unparsedExif"] == o
                           for o, e in zip(original.loc[bad, col], exported.loc[bad, col], strict=True))
                continue
            pd.testing.assert_series_equal(original[col], exported[col], check_dtype=False, check_names=False,
                                           obj=f"{name}.{col}")
    individuals = pd.read_csv(out / "individuals.csv", dtype=str)
    assert individuals.loc[0, "individualName"] == "Reinaert"


def test_zipped_package_imports(sqlite_url, example, tmp_path):
    archive = tmp_path / "example.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in example.iterdir():
            zf.write(f, f"example/{f.name}")
    engine = open_store(sqlite_url)
    assert import_package(engine, archive, "INBO").added["observation"] == 549


def _broken_copy(example, tmp_path, table, row, column, value):
    dst = tmp_path / "broken"
    shutil.copytree(example, dst)
    df = pd.read_csv(dst / f"{table}.csv", dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(dst / f"{table}.csv", index=False)
    return dst


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "code"),
    [
        ("deployments", 2, "latitude", "123", "maximum"),
        ("deployments", 1, "deploymentStart", "2020-13-45 25:00", "type"),
        ("media", 10, "timestamp", "yesterday", "type"),
        ("observations", 5, "deploymentID", "nowhere", "foreign-key"),
        ("observations", 7, "mediaID", "no-such-media", "foreign-key"),
        ("observations", 3, "observationType", "", "required"),
        ("observations", 4, "count", "two", "type"),
    ],
)
def test_bad_input_is_refused_naming_file_row_and_field(db_url, example, tmp_path, table, row, column, value,
                                                        code):
    engine = open_store(db_url)
    import_package(engine, example, "INBO")  # something already there must stay exactly as it was
    before = table_counts(engine)
    broken = _broken_copy(example, tmp_path, table, row, column, value)
    with pytest.raises(DataError) as err:
        import_package(engine, broken, "OTHER")
    found = err.value.problems.problems
    assert any(p.file == f"{table}.csv" and p.row == row + 2 and p.field == column and p.code == code
               for p in found), [str(p) for p in found]
    assert table_counts(engine) == before
    assert f"{table}.csv, row {row + 2}, field '{column}'" in str(err.value)


def test_missing_required_column_is_refused(sqlite_url, example, tmp_path):
    dst = tmp_path / "broken"
    shutil.copytree(example, dst)
    df = pd.read_csv(dst / "media.csv", dtype=str, keep_default_na=False).drop(columns="filePath")
    df.to_csv(dst / "media.csv", index=False)
    engine = open_store(sqlite_url)
    with pytest.raises(DataError, match="field 'filePath'"):
        import_package(engine, dst, "INBO")
    assert table_counts(engine)["media"] == 0


def test_deployment_ending_before_it_starts_is_refused(sqlite_url, example, tmp_path):
    broken = _broken_copy(example, tmp_path, "deployments", 0, "deploymentEnd", "2019-01-01T00:00:00Z")
    with pytest.raises(DataError, match="ends before it starts"):
        import_package(open_store(sqlite_url), broken, "INBO")


def test_cli_import_export_and_stats(sqlite_url, example, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["import", "camtrap-dp", str(example), "--partner", "INBO", "--db", sqlite_url,
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["added"]["observation"] == 549
    stats = json.loads(runner.invoke(app, ["stats", "--db", sqlite_url, "--json"]).stdout)
    assert stats["media"] == 423
    res = runner.invoke(app, ["export", "camtrap-dp", str(tmp_path / "out"), "--partner", "INBO", "--db",
                              sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rows"]["observations"] == 549
    bad = _broken_copy(example, tmp_path, "deployments", 0, "latitude", "123")
    res = runner.invoke(app, ["import", "camtrap-dp", str(bad), "--partner", "X", "--db", sqlite_url, "--json"])
    assert res.exit_code == 1
    problems = json.loads(res.stdout)["problems"]
    assert problems[0]["file"] == "deployments.csv" and problems[0]["row"] == 2 and problems[0]["field"] == "latitude"
    res = runner.invoke(app, ["validate", str(example), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["valid"] is True


def test_joint_export_of_two_partners_keeps_ids_unique_and_validates(sqlite_url, example, tmp_path):
    engine = open_store(sqlite_url)
    import_package(engine, example, "RU", country="RUS")
    import_package(engine, example, "CN", country="CHN")  # the same IDs in another partner's project
    out = tmp_path / "joint"
    result = export_package(engine, out)
    assert result.rows["observations"] == 2 * 549 and result.rows["media"] == 2 * 423
    package = open_package(out)
    problems, deployments = validate_package(package)
    assert not problems, problems.summary()
    assert validate_with_frictionless(package) == []
    assert set(deployments["deploymentID"].str.split("/").str[0]) == {"RU", "CN"}
    # Re-importing the joint package elsewhere gives back every row.
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    assert import_package(other, out, "JOINT").added["observation"] == 2 * 549
