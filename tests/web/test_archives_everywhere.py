"""One archive rule for every door: hostile zips refused the same way by exchange packages and web uploads."""

from __future__ import annotations

import io

import pytest

from bigcats.core.archives import ArchiveLimits, safe_unpack
from bigcats.errors import BigcatsError
from bigcats.exchange.sync.bundle import unpack
from bigcats.exchange.sync.errors import SyncError
from bigcats.web.errors import WebError
from bigcats.web.uploads import safe_extract
from test_web_security import _zip_bytes


HOSTILE = {
    "parent path": _zip_bytes({"../escape.csv": b"x"}),
    "absolute path": _zip_bytes({"/tmp/escape.csv": b"x"}),
    "drive letter": _zip_bytes({"C:/escape.csv": b"x"}),
    "symbolic link": _zip_bytes({"ok.csv": b"a"}, symlink="data/link"),
    "zip bomb": _zip_bytes({"zeros.csv": b"0" * (8 << 20)}),
    "many small members adding up to a bomb": _zip_bytes({f"m{i}.csv": b"0" * 60_000 for i in range(300)}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_exchange_and_upload_refuse_the_same_hostile_archives(case, tmp_path):
    data = HOSTILE[case]
    with pytest.raises(SyncError):
        unpack(data, tmp_path / "sync")
    upload = tmp_path / "upload.zip"
    upload.write_bytes(data)
    with pytest.raises(WebError):
        safe_extract(upload, tmp_path / "web")
    # Nothing escaped the folders it was unpacked into.
    assert not (tmp_path / "escape.csv").exists() and not (tmp_path.parent / "escape.csv").exists()


def test_not_a_zip_is_refused_with_its_name(tmp_path):
    with pytest.raises(SyncError, match="not a zip archive"):
        unpack(b"PK\x03\x04 cut off", tmp_path / "sync")
    bad = tmp_path / "survey.zip"
    bad.write_bytes(b"this is a CSV, not a zip")
    with pytest.raises(WebError, match="survey.zip: not a zip archive"):
        safe_extract(bad, tmp_path / "web")


def test_headers_that_lie_about_sizes_are_caught_while_unpacking(tmp_path):
    data = bytearray(_zip_bytes({"a.csv": b"1" * 200_000}))
    # Make the central directory claim a tiny uncompressed size: the byte count while unpacking must stop it.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24:at + 28] = (10).to_bytes(4, "little")
    with pytest.raises(BigcatsError, match="a.csv"):
        safe_unpack(io.BytesIO(bytes(data)), tmp_path / "out", ArchiveLimits(max_unpacked=1000, ratio_floor=100))
    with pytest.raises(SyncError, match="damaged or cut off"):
        unpack(bytes(data), tmp_path / "sync")


def test_a_plain_archive_unpacks(tmp_path):
    folder = unpack(_zip_bytes({"datapackage.json": b"{}", "data/observations.csv": b"a,b\n1,2\n"}), tmp_path / "p")
    assert (folder / "data" / "observations.csv").read_text() == "a,b\n1,2\n"
