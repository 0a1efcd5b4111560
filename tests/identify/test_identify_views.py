"""The audit of what each encounter shows (identify.views): which encounters a coat matcher can possibly answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bigcats.cli.identify import app
from bigcats.identify.errors import IdentifyError
from bigcats.identify.evaluate import comparable_summary, error_sources, size_prior
from bigcats.identify.views import comparable, mark_comparable, read_views, share_region

AUDIT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "snow-leopard-audit.csv"


def test_the_snow_leopard_audit_reads_and_sets_the_ceiling():
    v = read_views(AUDIT)
    assert len(v) == 49 and v["individual"].nunique() == 11
    flags = comparable(v)
    # Cat13: a head at night against legs by day; Cat11: bare ground against hind quarters; Cat4: a distant speck.
    for ind in ("Cat13", "Cat11", "Cat4"):
        assert not flags[ind].any(), ind
    assert not flags[("Cat3", "Station13_2012-8-22")]  # the right flank and head; the other two show the left flank
    assert flags[("Cat5", "Station26_2012-8-7")]  # right flank, as at Station24 and on 8-19
    # Cats with two or more encounters: 47 encounters, of which 9 show nothing another encounter of the cat shows.
    multi = v[v.groupby("individual")["encounter"].transform("size") >= 2]
    assert len(multi) == 47 and int((~flags.reindex(list(zip(multi.individual, multi.encounter, strict=True)))).sum()) == 9


def test_flank_of_unknown_side_matches_either_flank_but_none_matches_nothing():
    assert share_region(frozenset({"flank"}), frozenset({"flank-left"}))
    assert share_region(frozenset({"flank-right", "face"}), frozenset({"flank"}))
    assert not share_region(frozenset({"flank-left"}), frozenset({"flank-right"}))
    assert not share_region(frozenset(), frozenset({"face"}))  # 'none' is read as the empty set


@pytest.mark.parametrize("body, message", [
    ("individual,encounter,regions\nA,e1,face;wings\n", "row 2, field regions: unknown region(s) 'wings'"),
    ("individual,encounter,regions\nA,e1,face\nA,e2,\n", "row 3, field regions: empty"),
    ("individual,encounter,regions\nA,e1,none;face\n", "row 2, field regions: 'none' cannot"),
    ("individual,encounter,regions\n,e1,face\n", "row 2, field individual: empty"),
    ("individual,encounter,regions\nA,e1,face\nA,e1,legs\n", "row 3: individual 'A' at encounter 'e1' is listed twice"),
    ("individual,encounter\nA,e1\n", "missing column(s) regions"),
    ("", "not a readable CSV"),
])
def test_malformed_audits_name_file_row_and_field(tmp_path, body, message):
    p = tmp_path / "audit.csv"
    p.write_text(body)
    with pytest.raises(IdentifyError) as err:
        read_views(p)
    assert str(p) in str(err.value) and message in str(err.value)


def test_binary_huge_and_missing_audits_are_refused(tmp_path, monkeypatch):
    p = tmp_path / "audit.csv"
    p.write_bytes(b"\xff\xfe\x00\x81" * 1000)
    with pytest.raises(IdentifyError, match="not a readable CSV"):
        read_views(p)
    import bigcats.identify.views as views

    monkeypatch.setattr(views, "MAX_ROWS", 3)
    p.write_text("individual,encounter,regions\n" + "".join(f"A,e{i},face\n" for i in range(5)))
    with pytest.raises(IdentifyError, match="more than 3 rows"):
        read_views(p)
    with pytest.raises(IdentifyError, match="no such file"):
        read_views(tmp_path / "absent.csv")


def test_summary_and_error_reason_on_comparable_encounters():
    q = pd.DataFrame({"query": ["e1", "e2", "e3", "e4"], "encounter": ["e1", "e2", "e3", "e4"], "photos": 1,
                      "individual": ["A", "A", "B", "B"], "partition": "x|left", "has_reference": True,
                      "rank": [1, 3, 1, np.inf], "best_score": [9.0, 2.0, 1.5, 0.5], "best_individual": ["A", "B", "B", "C"],
                      "true_score": [9.0, 0.4, 1.5, 0.0], "open_set_best_score": [0.3, 0.2, 1.0, 0.1]})
    audit = pd.DataFrame({"individual": ["A", "A", "B", "B"], "encounter": ["e1", "e2", "e3", "e4"],
                          "regions": [frozenset({"face"}), frozenset({"face", "legs"}), frozenset({"flank-left"}), frozenset({"flank-right"})]})
    q = mark_comparable(q, audit)
    assert q["comparable"].tolist() == [True, True, False, False]
    s = comparable_summary(q, threshold=1.0)
    assert (s["encounters"], s["comparable"], s["beyond_coat"], s["top1_ceiling"], s["found_beyond_coat"]) == (4, 2, 2, 0.5, 1)
    assert s["by_encounter"]["queries"] == 2 and s["by_encounter"]["top1"] == 0.5
    err = error_sources(q, pd.DataFrame({"encounter": q["encounter"], "individual": q["individual"]})).set_index("query")
    assert "no body region in common" in err.loc["e4", "reasons"] and "no body region" not in err.loc["e2", "reasons"]
    with pytest.raises(IdentifyError, match="no row for individual 'A' at encounter 'e2'"):
        mark_comparable(q, audit.iloc[[0, 2, 3]])


def test_evaluate_command_takes_an_audit(tmp_path, easy_leopards):
    folder, labels = easy_leopards
    encs = labels[["individual", "encounter"]].drop_duplicates()
    # Two individuals show their legs in the first encounter and the left flank in the others: both of their
    # encounters are beyond a coat matcher; every other encounter shows the left flank.
    two = encs["individual"].isin(sorted(encs["individual"].unique())[:2])
    first = ~encs.duplicated("individual")
    audit = encs.assign(regions=np.where(two & first, "legs", "flank-left"))
    path = tmp_path / "audit.csv"
    audit.to_csv(path, index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", str(folder), "--json", "--bootstrap", "0", "--views", str(path)])
    assert res.exit_code == 0, res.output
    comp = json.loads(res.stdout)["comparable"]
    beyond = int(two.sum())
    assert comp["beyond_coat"] == beyond and comp["comparable"] == len(encs) - beyond and comp["top1_ceiling"] == 1 - beyond / len(encs)
    path.write_text("individual,encounter,regions\nL001,x,paws\n")
    res = runner.invoke(app, ["evaluate", str(folder), "--bootstrap", "0", "--views", str(path)])
    assert res.exit_code == 1 and "row 2, field regions" in res.output


def test_size_prior_ranks_cats_by_their_photos_outside_the_query():
    images = pd.DataFrame({"encounter": ["a1", "a1", "a1", "a2", "b1", "b2", "c1", "c2"],
                           "individual": ["A", "A", "A", "A", "B", "B", "C", "C"], "scientificName": "x"})
    q = pd.DataFrame({"encounter": ["a2", "b1", "c1"], "individual": ["A", "B", "C"], "has_reference": True,
                      "comparable": [True, True, False]})
    p = size_prior(q, images)
    # a2: A keeps 3 photos (first); b1: A 4, then B and C with 1 and 2 -> C, B: B third; c1: A 4, B 2, C 1: third.
    assert p["top1"] == pytest.approx(1 / 3) and p["top5"] == 1.0
    assert p["comparable"] == {"queries": 2, "top1": 0.5, "top5": 1.0}
    with pytest.raises(IdentifyError):
        size_prior(q.assign(has_reference=False), images)


def test_encounters_at_the_same_station_do_not_count_when_stations_are_left_out():
    v = read_views(AUDIT)
    held = {e: e.split("_")[0] for e in v["encounter"]}
    flags = comparable(v, held)
    # Cat2's two encounters share the face, but both are at Station06: nothing left to compare with.
    assert comparable(v)[("Cat2", "Station06_2012-7-10")] and not flags[("Cat2", "Station06_2012-7-10")]
    assert flags[("Cat5", "Station26_2012-8-7")]  # the right flank at Station24 still counts


def test_leaving_the_station_out_judges_queries_against_other_stations_only(tmp_path, easy_leopards):
    from bigcats.identify.evaluate import evaluate_folder

    folder, labels = easy_leopards
    with pytest.raises(IdentifyError, match="needs a station column"):
        evaluate_folder(folder, n_boot=0, leave_out="station")
    with pytest.raises(IdentifyError, match="expected encounter or station"):
        evaluate_folder(folder, n_boot=0, leave_out="camera")
    # The same photos, each individual's encounters all at one station except L001's: only L001 can be looked up.
    (tmp_path / "s").mkdir()
    lab = labels.copy()
    first = lab.groupby("individual")["encounter"].transform("first")
    lab["station"] = np.where((lab["individual"] == sorted(lab["individual"].unique())[0]) & (lab["encounter"] != first), "S-other", "S-" + lab["individual"])
    lab.to_csv(tmp_path / "s" / "labels.csv", index=False)
    for name in lab["image"]:
        (tmp_path / "s" / name).parent.mkdir(parents=True, exist_ok=True)
        if not (tmp_path / "s" / name).exists():
            (tmp_path / "s" / name).symlink_to(folder / name)
    by_enc = evaluate_folder(tmp_path / "s", n_boot=0)
    by_station = evaluate_folder(tmp_path / "s", n_boot=0, leave_out="station")
    assert by_station["settings"]["leave_out"] == "station"
    l001 = lab[lab["individual"] == sorted(lab["individual"].unique())[0]]
    assert by_station["by_encounter"]["queries"] == l001["encounter"].nunique() < by_enc["by_encounter"]["queries"]
    assert set(by_station["encounter_table"].query("has_reference")["individual"]) == {l001["individual"].iloc[0]}
    assert by_station["size_prior"]["queries"] == by_station["by_encounter"]["queries"]
