"""Make the input of the review-plan comparison and, where camtraptools is importable, its reference answer.

Input (`events.csv`, `deployments.csv`): the real Atlantic Forest slice (tests/data/atlantic-forest, 33 surveys in
seven data sets, 2004-2020: its surveys as deployments at their locations, its records as events with their species and local dates) with a
machine layer added: a classifier's label and confidence for every record, drawn with a fixed seed (the data set
has no machine identifications), plus 60 false triggers the machine called blank or, unsure, an animal. The
reviewer's labels are the data set's own for the 80 least confident events and 30 drawn at random.

Reference (`expected_species.csv`, `expected_events.csv`): camtraptools 0.8.1 (PyPI, MIT) on that input:

    chances = camtraptools.uncertainty.label_chances(events, {})
    effort = camtraptools.ecology.effort_matrix(deployments, 7)
    species, plan = camtraptools.plan.build(chances, effort, 7)

Run: PYTHONPATH=<camtraptools install> python make_reference.py   (writes the files beside this script)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "atlantic-forest"


def make_input(seed: int = 17) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deployments and the event table (eventID, site, day, ai, confidence, truth)."""
    rng = np.random.default_rng(seed)
    surveys = pd.read_csv(SOURCE / "DATASET_CAMTRAP_SURVEYS_ATLANTICFOREST.csv", sep=";", encoding="utf-8-sig")
    records = pd.read_csv(SOURCE / "DATASET_CAMTRAP_RECORDS_ATLANTICFOREST.csv", sep=";", encoding="utf-8-sig")
    records = records[records["surveyId"].isin(surveys["surveyId"])].reset_index(drop=True)
    deployments = pd.DataFrame({"deploymentID": surveys["surveyId"], "locationID": surveys["locationId"],
                                "deploymentStart": surveys["surveyDateStart"] + "T12:00:00",
                                "deploymentEnd": surveys["surveyDateEnd"] + "T12:00:00"})
    site = dict(zip(surveys["surveyId"], surveys["locationId"]))
    names = records["scientificName"].value_counts()
    truth = records["scientificName"].to_numpy(dtype=object)
    n = len(records)
    confidence = np.round(rng.beta(6.0, 1.6, n), 3)
    wrong = rng.random(n) < (1 - confidence) * 1.1
    ai = truth.copy()
    for i in np.flatnonzero(wrong):
        r = rng.random()
        if r < 0.35:
            ai[i] = "blank"
        elif r < 0.55:
            ai[i] = "animal"
        else:
            others = names.drop(truth[i])
            ai[i] = rng.choice(others.index.to_numpy(), p=(others / others.sum()).to_numpy())
    events = pd.DataFrame({"eventID": [f"e{i:04d}" for i in range(n)],
                           "site": records["surveyId"].map(site), "day": records["recordDate"],
                           "ai": ai, "confidence": confidence, "truth": truth})
    # False triggers: nothing there; the machine mostly says blank, sometimes an unsure animal.
    k = 60
    pick = rng.integers(0, len(surveys), k)
    extra = []
    for j, s in enumerate(pick):
        row = surveys.iloc[s]
        start, end = pd.Timestamp(row["surveyDateStart"]), pd.Timestamp(row["surveyDateEnd"])
        day = start + pd.Timedelta(days=int(rng.integers(0, (end - start).days + 1)))
        says = "blank" if rng.random() < 0.7 else rng.choice(names.index.to_numpy())
        extra.append({"eventID": f"f{j:03d}", "site": row["locationId"], "day": day.date().isoformat(), "ai": says,
                      "confidence": round(float(rng.uniform(0.3, 0.99)), 3), "truth": "blank"})
    events = pd.concat([events, pd.DataFrame(extra)], ignore_index=True)
    reviewed = set(events.nsmallest(80, "confidence")["eventID"])
    reviewed |= set(rng.choice(events["eventID"].to_numpy(), 30, replace=False))
    events.loc[~events["eventID"].isin(reviewed), "truth"] = None
    return deployments, events


def main() -> None:
    """Write the input and, with camtraptools importable, its answer."""
    deployments, events = make_input()
    deployments.to_csv(HERE / "deployments.csv", index=False)
    events.to_csv(HERE / "events.csv", index=False)
    from camtraptools import ecology, plan, uncertainty

    table = events.assign(day=pd.to_datetime(events["day"]).dt.date, used=events["truth"].fillna(events["ai"]),
                          also=[()] * len(events))
    chances = uncertainty.label_chances(table, {})
    effort = ecology.effort_matrix(deployments, 7)
    species, order = plan.build(chances, effort, 7)
    species.to_csv(HERE / "expected_species.csv")
    order.to_csv(HERE / "expected_events.csv", index=False)
    pd.Series({"intercept": chances.calibration.intercept, "slope": chances.calibration.slope}
              | {f"offset:{k}": v for k, v in chances.calibration.offsets.items()}).to_csv(
        HERE / "expected_calibration.csv", header=["value"])


if __name__ == "__main__":
    main()
