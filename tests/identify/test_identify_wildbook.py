"""Wildbook / Whiskerbook encounter exports in and out."""

from __future__ import annotations

import pandas as pd
import pytest

from bigcats.identify.errors import IdentifyError
from bigcats.identify.wildbook import read_encounters, to_labels, write_encounters

EXPORT = """Encounter.catalogNumber,MarkedIndividual.individualID,Encounter.verbatimLocality,Encounter.decimalLatitude,Encounter.decimalLongitude,Encounter.year,Encounter.month,Encounter.day,Encounter.sex,Annotation.ViewpointName,Encounter.genus,Encounter.specificEpithet,Encounter.mediaAsset0
e1,SL-07,Tost Mountains,43.21,100.55,2023,10,4,female,left,Panthera,uncia,img/e1.jpg
e2,SL-07,Tost Mountains,43.22,100.57,2023,11,,F,frontright,Panthera,uncia,img/e2.jpg
e3,,Sailiugem,49.9,88.6,2022,,,,right,Panthera,uncia,img/e3.jpg
"""


def test_read_wildbook_export(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text(EXPORT)
    enc = read_encounters(p)
    assert list(enc["encounterID"]) == ["e1", "e2", "e3"]
    assert list(enc["side"]) == ["left", "right", "right"]
    assert list(enc["sex"]) == ["female", "female", "unknown"]
    assert enc["scientificName"].iloc[0] == "Panthera uncia"
    assert enc["date"].iloc[0] == pd.Timestamp("2023-10-04") and enc["date"].iloc[2] == pd.Timestamp("2022-01-01")
    assert pd.isna(enc["individualID"].iloc[2])
    labels = to_labels(enc)
    assert list(labels["image"]) == ["img/e1.jpg", "img/e2.jpg"]  # the unassigned encounter is not a reference


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip(tmp_path, suffix):
    src = tmp_path / "export.csv"
    src.write_text(EXPORT)
    enc = read_encounters(src)
    out = write_encounters(enc, tmp_path / f"back{suffix}")
    again = read_encounters(out)
    cols = ["encounterID", "individualID", "side", "locality", "latitude", "sex", "scientificName", "mediaAsset"]
    pd.testing.assert_frame_equal(enc[cols].astype(str), again[cols].astype(str))
    assert (enc["date"] == again["date"]).all()


def test_bad_rows_are_named(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(EXPORT.replace("frontright", "top"))
    top = read_encounters(p)  # any viewpoint is kept as written (issue 14); only left/right give a flank
    assert top["viewpoint"].iloc[1] == "top" and pd.isna(top["side"].iloc[1])
    p.write_text(EXPORT.replace("43.22", "north"))
    with pytest.raises(IdentifyError, match=r"row 3, field latitude"):
        read_encounters(p)
    p.write_text("a,b\n1,2\n")
    with pytest.raises(IdentifyError, match="no column for encounterID"):
        read_encounters(p)
