"""Malformed Camtrap DP packages uploaded through the web: refused with file, row and field, never a 500 or an
internal error, and the database unchanged (the cases are those of tests/exchange/test_malformed_packages.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from webworld import client_for, csrf, sign_in, zip_folder

from bigcats.store.db import open_store, table_counts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exchange"))
from test_malformed_packages import CASES  # noqa: E402


def _wait(client, job_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/uploads/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"upload {job_id} still running after {seconds} s")


@pytest.mark.parametrize("case", ["utf16", "resources_not_a_list", "path_is_a_number", "zip_lacks_a_table",
                                  "zip_that_is_not_a_zip", "ragged_rows", "nan_in_json", "duplicate_key"])
def test_malformed_upload_is_refused_with_where(case, sqlite_world, shared_data, tmp_path):
    db_url, _ = sqlite_world
    path, expect = CASES[case](shared_data / "camtrap-dp-example", tmp_path)
    archive = path if path.suffix == ".zip" else zip_folder(path, tmp_path / "upload.zip")
    before = table_counts(open_store(db_url))
    client = sign_in(client_for(db_url), "editor_a")
    with open(archive, "rb") as fh:
        r = client.post("/api/uploads", data={"partner": "A", "kind": "camtrapdp"},
                        files={"file": ("upload.zip", fh, "application/zip")}, headers=csrf(client))
    assert r.status_code < 500, r.text
    if r.status_code == 202:
        job = _wait(client, r.json()["id"])
        assert job["status"] == "failed"
        message = job["error"]
    else:  # refused at the door (not a zip): a 4xx with the reason
        assert 400 <= r.status_code < 500
        message = r.text
    assert "internal error" not in message and "Traceback" not in message
    assert Path(expect["file"]).name in message or "not a zip" in message, message
    if "row" in expect:
        assert f"row {expect['row']}" in message, message
    if "field" in expect:
        assert f"field '{expect['field']}'" in message, message
    after = table_counts(open_store(db_url))
    assert {k: v for k, v in after.items() if not k.startswith("web_")} == \
        {k: v for k, v in before.items() if not k.startswith("web_")}
