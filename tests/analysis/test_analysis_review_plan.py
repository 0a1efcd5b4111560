"""The per-species review plan against camtraptools 0.8.1 on the same input, and attacks on it.

Reference call (tests/data/review-plan-camtraptools/make_reference.py, camtraptools 0.8.1 from PyPI):

    chances = camtraptools.uncertainty.label_chances(events, {})
    effort = camtraptools.ecology.effort_matrix(deployments, 7)
    species, plan = camtraptools.plan.build(chances, effort, 7)

Input: the real Atlantic Forest records (33 surveys, 472 records, sites and local dates as published) with a
seeded machine layer (labels and confidences) and 102 reviews; see that folder's SOURCE.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bigcats.analysis import review_plan as rp
from bigcats.analysis.errors import AnalysisError

REF = Path(__file__).resolve().parents[1] / "data" / "review-plan-camtraptools"


def _daily(deployments: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for d in deployments.itertuples():
        start = date.fromisoformat(d.deploymentStart[:10])
        end = date.fromisoformat(d.deploymentEnd[:10])
        rows += [(d.locationID, start + timedelta(days=k)) for k in range((end - start).days + 1)]
    return pd.DataFrame(rows, columns=["site", "date"])


@pytest.fixture(scope="module")
def reference():
    deployments = pd.read_csv(REF / "deployments.csv", dtype=str)
    events = pd.read_csv(REF / "events.csv", dtype={"truth": object})
    effort = rp.effort_matrix(_daily(deployments), 7)
    return events, effort, rp.review_plan(events, effort, 7)


def test_calibration_matches_camtraptools(reference):
    _, _, plan = reference
    exp = pd.read_csv(REF / "expected_calibration.csv", index_col=0)["value"]
    assert plan.calibration.intercept == pytest.approx(exp["intercept"], abs=1e-6)
    assert plan.calibration.slope == pytest.approx(exp["slope"], abs=1e-6)
    offsets = {k.split(":", 1)[1]: v for k, v in exp.items() if k.startswith("offset:")}
    assert plan.calibration.offsets == pytest.approx(offsets, abs=1e-6)
    assert plan.reviewed == 102  # 80 least confident and 30 drawn, 8 of them among the 80


def test_species_table_matches_camtraptools(reference):
    _, _, plan = reference
    exp = pd.read_csv(REF / "expected_species.csv")
    got = plan.species.rename(columns={"species": "taxon"})
    assert list(got["taxon"]) == list(exp["taxon"])
    for col in ("records", "toReview"):
        assert got[col].tolist() == exp[col].tolist(), col
    for col in ("inDoubt", "expectedFalseSites", "expectedMissedSites", "leftInDoubt"):
        assert np.allclose(got[col], exp[col], atol=0.011), col
    assert got["spreadThin"].tolist() == exp["spreadThin"].tolist()


def test_event_order_matches_camtraptools(reference):
    _, _, plan = reference
    exp = pd.read_csv(REF / "expected_events.csv")
    assert plan.events["eventID"].tolist() == exp["eventID"].tolist()
    assert plan.events["species"].tolist() == exp["taxa"].tolist()
    assert np.allclose(plan.events["doubt"], exp["doubt"], atol=1e-3)


def test_reviewing_the_plan_settles_every_species(reference):
    """Truth recovery: give the reviewer's answer (the data set's label) for every planned event, plan again:
    no species needs review any more, and the doubt left is within the target."""
    events, effort, plan = reference
    truth = _true_labels()
    done = events.copy()
    for _ in range(6):
        todo = set(plan.events["eventID"])
        if not todo:
            break
        mask = done["eventID"].isin(todo)
        done.loc[mask, "truth"] = done.loc[mask, "eventID"].map(truth)
        plan = rp.review_plan(done, effort, 7)
    assert plan.events.empty
    stable = plan.species
    target = np.maximum(rp.DEFAULT_TOLERANCE * stable["records"], rp.MIN_DOUBT_LEFT)
    assert ((stable["leftInDoubt"] <= target + 0.01) | stable["spreadThin"]).all()
    # Reviewed cells are certain: the records reported now are exactly the true ones where reviewed.
    assert plan.reviewed > 102


def _true_labels() -> dict:
    """The data set's own label of every event: records in file order (e0000...), false triggers blank."""
    records = pd.read_csv(REF.parent / "atlantic-forest" / "DATASET_CAMTRAP_RECORDS_ATLANTICFOREST.csv", sep=";",
                          encoding="utf-8-sig")
    labels = {f"e{i:04d}": s for i, s in enumerate(records["scientificName"])}
    return labels | {f"f{j:03d}": "blank" for j in range(60)}


def test_confident_right_machine_needs_no_review():
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    daily = pd.DataFrame([(s, d) for s in ("A", "B", "C") for d in days], columns=["site", "date"])
    effort = rp.effort_matrix(daily, 7)
    ev = pd.DataFrame({"eventID": [f"x{i}" for i in range(30)], "site": ["A", "B", "C"] * 10,
                       "day": [days[i * 2].date() for i in range(30)], "ai": "Panthera pardus orientalis",
                       "confidence": 0.999, "truth": None})
    plan = rp.review_plan(ev, effort)
    row = plan.species.set_index("species").loc["Panthera pardus orientalis"]
    assert row["toReview"] == 0 and row["inDoubt"] < 0.2
    assert plan.events.empty


def test_one_unsure_record_of_a_rare_species_is_planned_first():
    days = pd.date_range("2024-01-01", periods=28, freq="D")
    daily = pd.DataFrame([(s, d) for s in ("A", "B") for d in days], columns=["site", "date"])
    effort = rp.effort_matrix(daily, 7)
    ev = pd.DataFrame({"eventID": ["t1", "t2", "t3", "s1"], "site": ["A", "A", "B", "B"],
                       "day": [days[1], days[9], days[3], days[20]],
                       "ai": ["Panthera tigris altaica"] * 3 + ["Panthera uncia"], "confidence": [0.99, 0.98, 0.97, 0.4],
                       "truth": [None] * 4})
    plan = rp.review_plan(ev, effort)
    assert plan.events["eventID"].iloc[0] == "s1"
    assert "Panthera uncia" in plan.events["species"].iloc[0]


def test_hostile_inputs_are_refused_in_words():
    days = pd.date_range("2024-01-01", periods=7, freq="D")
    effort = rp.effort_matrix(pd.DataFrame({"site": "A", "date": days}), 7)
    ev = pd.DataFrame({"eventID": ["a"], "site": ["A"], "day": [days[0]], "ai": ["Panthera uncia"],
                       "confidence": [1.7], "truth": [None]})
    with pytest.raises(AnalysisError, match="between 0 and 1"):
        rp.review_plan(ev, effort)
    with pytest.raises(AnalysisError, match="lack the columns"):
        rp.review_plan(ev.drop(columns="ai"), effort)
    with pytest.raises(AnalysisError, match="tolerance"):
        rp.review_plan(ev.assign(confidence=0.5), effort, tolerance=2)
    with pytest.raises(AnalysisError, match="occasion_days"):
        rp.effort_matrix(pd.DataFrame({"site": "A", "date": days}), 0)
    with pytest.raises(AnalysisError, match="no camera"):
        rp.effort_matrix(pd.DataFrame({"site": [], "date": []}), 7)
    # Events outside the stations or the occasions count for nothing, and break nothing.
    out = rp.review_plan(ev.assign(confidence=0.5, site="nowhere"), effort)
    assert out.events.empty
