"""A per-species review plan: how many site records may still be wrong, and which events to review next.

The method is camtraptools' `plan` (Posavec, CamTrapTools 0.8.1, MIT; docs/review-plan.md), written again here
for bigcats' tables:

1. **Calibrate the machine on the reviews.** logit P(label right) = a + b * logit(confidence) + u(label), fitted
   to the reviewed machine identifications with normal priors a ~ N(0, 1), b ~ N(1, 1), u ~ N(0, 1): the
   confidence is taken at face value until reviews say otherwise. Being conditional on label and confidence, it
   stays fair when the reviews were chosen by them (least confident first, or this plan).
2. **What the animal really was.** When a label is right it is that species (a higher taxon or "animal" is shared
   out in proportion to the species recorded); when it is wrong it is what reviewers corrected that label to,
   shrunk towards all corrections (each prior worth `CORRECTION_PRIOR` reviews).
3. **A probability on every record.** Each unreviewed event gets a chance of being each species; reviewed events
   are certain. Each cell of a species' detection history (a station in an occasion of `occasion_days` days) gets
   the chance the species was truly recorded there; where that disagrees with the reported history the cell is in
   doubt (1 - p for a reported cell, p for an unreported one).
4. **Plan.** Cells are taken in order of doubt per unreviewed event until the doubt left is at most `tolerance`
   times the species' records, or a quarter of a cell for rare species; cells where one review has less than
   `min_gain` chance of changing a record are left out ("doubt spread thin").

The occupancy (which stations have the species) and relative abundance (records per occasion) rest on the same
detection history, so once a species' doubt is below the target, more review would not change them materially.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from bigcats.analysis.errors import AnalysisError, listed

DEFAULT_OCCASION_DAYS = 7
DEFAULT_TOLERANCE = 0.05  # doubt left may be 5 % of a species' records
MIN_DOUBT_LEFT = 0.25  # ... or a quarter of a cell: a better than 3 in 4 chance no cell is wrong
DEFAULT_MIN_GAIN = 0.05  # a review with less than 1 in 20 chance of changing a record is not planned
MISSED_SITES_TO_LIST = 0.5  # species never reported are listed when probably missed at half a station or more
CONFIDENCE_LIMITS = (0.005, 0.995)
PRIOR_SD = 1.0
LABEL_SD = 1.0
CORRECTION_PRIOR = 2.0
NON_TAXON_LABELS = frozenset({"animal", "blank", "human", "vehicle", "unknown", "unclassified"})
EVENT_COLUMNS = ("eventID", "site", "day", "ai", "confidence", "truth")


@dataclass
class Calibration:
    """logit P(right) = intercept + slope * logit(confidence) + offsets[label] (0 for labels never reviewed)."""

    intercept: float = 0.0
    slope: float = 1.0
    offsets: dict[str, float] = field(default_factory=dict)


@dataclass
class ReviewPlan:
    """Per species: records, doubt, expected false and missed stations, events to review, doubt left; the events
    to review in order with the species each matters for; the calibration and how many reviews it rests on."""

    species: pd.DataFrame
    events: pd.DataFrame
    calibration: Calibration
    reviewed: int
    occasion_days: int
    tolerance: float
    min_gain: float


def is_species(name: object) -> bool:
    """A species or subspecies name (two or three words), not a genus, family or a non-animal label."""
    return isinstance(name, str) and len(name.split()) in (2, 3)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), *CONFIDENCE_LIMITS)
    return np.log(p / (1 - p))


def label_is_right(ai: str, truth: str, ancestry: Mapping[str, set[str]] | None = None) -> bool:
    """Whether a machine label holds for the reviewer's: the same, a higher taxon of it (when the ancestry says
    so), a more specific one, or "animal" for any animal."""
    ancestry = ancestry or {}
    if ai == "animal":
        return truth not in NON_TAXON_LABELS
    if ai == truth:
        return True
    if ai in NON_TAXON_LABELS or truth in NON_TAXON_LABELS:
        return False
    if truth in ancestry.get(ai, set()):
        return True  # the machine was more specific than the reviewer
    if " " in ai:
        return False
    return ai in ancestry.get(truth, set())  # right above species level; unknown ancestry cannot confirm it


def calibrate(confidence: Iterable[float], labels: Iterable[str], right: Iterable[bool]) -> Calibration:
    """The penalised logistic calibration (maximum a posteriori) of the machine's confidence on reviewed events."""
    confidence = np.asarray(list(confidence), dtype=float)
    labels = np.asarray(list(labels), dtype=object)
    y = np.asarray(list(right), dtype=float)
    names = sorted(set(labels.tolist()))
    x = np.column_stack([np.ones(len(confidence)), _logit(confidence)]
                        + [(labels == n).astype(float) for n in names]) if len(confidence) else np.zeros((0, 2))
    mean = np.zeros(2 + len(names))
    mean[1] = 1.0
    prec = np.array([PRIOR_SD ** -2] * 2 + [LABEL_SD ** -2] * len(names))
    if not len(y):
        return Calibration()

    # Negative log posterior: strictly convex (the prior is proper), so the optimum is unique.
    def f(beta: np.ndarray) -> float:
        z = x @ beta
        return float(-(y * z - np.logaddexp(0, z)).sum() + 0.5 * (((beta - mean) ** 2) * prec).sum())

    def grad(beta: np.ndarray) -> np.ndarray:
        return -(x.T @ (y - expit(x @ beta))) + prec * (beta - mean)

    def hess(beta: np.ndarray) -> np.ndarray:
        p = expit(x @ beta)
        return x.T @ (x * (p * (1 - p))[:, None]) + np.diag(prec)

    res = minimize(f, mean.copy(), jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-10})
    beta = res.x
    return Calibration(float(beta[0]), float(beta[1]), {n: float(v) for n, v in zip(names, beta[2:])})


def chance_right(confidence: Iterable[float], labels: Iterable[str], cal: Calibration) -> np.ndarray:
    """The calibrated chance that each label, given with its confidence, is right."""
    labels = list(labels)
    off = np.array([cal.offsets.get(lab, 0.0) for lab in labels], dtype=float)
    return expit(cal.intercept + cal.slope * _logit(np.asarray(list(confidence), dtype=float)) + off)


def _normalised(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}


def _when_right(label: str, recorded: pd.Series, ancestry: Mapping[str, set[str]]) -> dict[str, float]:
    # A species or non-animal label is itself; "animal" or a higher taxon is one of the species under it, in
    # proportion to how often each was recorded.
    if label != "animal" and (is_species(label) or label in NON_TAXON_LABELS):
        return {label: 1.0}
    under = {s: float(n) for s, n in recorded.items() if label == "animal" or label in ancestry.get(s, set())}
    return _normalised(under) if sum(under.values()) else {label: 1.0}


def _with_prior(prior: Mapping[str, float], counts: pd.Series) -> dict[str, float]:
    keys = sorted(set(prior) | set(counts.index))
    w = {k: CORRECTION_PRIOR * prior.get(k, 0.0) + float(counts.get(k, 0)) for k in keys}
    return _normalised(w)


def _when_wrong(label: str, corrections: pd.DataFrame, overall: pd.Series) -> dict[str, float]:
    own = corrections.loc[corrections["ai"] == label, "truth"].value_counts()
    if overall.empty:
        return {}
    w = (own.reindex(overall.index, fill_value=0) + CORRECTION_PRIOR * overall) / (own.sum() + CORRECTION_PRIOR)
    w = w.drop(label, errors="ignore")
    return (w / w.sum()).to_dict() if w.sum() > 0 else {}


def _prepare(events: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise AnalysisError(f"review plan: events lack the columns {listed(missing)}")
    ev = events.copy()
    if "also" not in ev.columns:
        ev["also"] = [()] * len(ev)
    if "machine" not in ev.columns:
        ev["machine"] = True
    ev["also"] = ev["also"].map(lambda v: tuple(v) if isinstance(v, (tuple, list)) else ())
    ev["truth"] = ev["truth"].where(ev["truth"].notna(), None)
    ev["used"] = ev["truth"].where(ev["truth"].notna(), ev["ai"])
    conf = pd.to_numeric(ev["confidence"], errors="coerce")
    bad = ev.loc[ev["machine"].astype(bool) & ~conf.between(0, 1), "eventID"]
    if len(bad):
        raise AnalysisError(f"review plan: machine confidence must be between 0 and 1 (events {listed(bad)})")
    ev["confidence"] = conf.fillna(1.0)
    ev["day"] = pd.to_datetime(ev["day"], errors="coerce").dt.date
    ev = ev.dropna(subset=["day", "site"])
    return ev.reset_index(drop=True)


def label_chances(events: pd.DataFrame, ancestry: Mapping[str, set[str]] | None = None,
                  ) -> tuple[pd.DataFrame, pd.DataFrame, Calibration, int]:
    """Each event's probability of each true label, calibrated on the reviewed machine identifications.

    `events` has eventID, site, day, ai (the machine's label), confidence, truth (the reviewer's label, missing if
    not reviewed) and optionally also (other species a reviewer saw in the event) and machine (False for events
    people identified without a machine: certain, and not part of the calibration). Returns the prepared events,
    the probabilities (events x labels), the calibration and how many reviews it rests on.
    """
    ancestry = ancestry or {}
    ev = _prepare(events)
    reviewed = ev[ev["truth"].notna() & ev["machine"].astype(bool)]
    right = np.array([label_is_right(a, t, ancestry) for a, t in zip(reviewed["ai"], reviewed["truth"])], dtype=bool)
    cal = calibrate(reviewed["confidence"], reviewed["ai"], right)
    confirmed, corrections = reviewed[right], reviewed[~right]
    overall = corrections["truth"].value_counts(normalize=True)
    recorded = ev.loc[ev["used"].map(is_species), "used"].value_counts()
    labels = sorted(ev["ai"].unique())
    if_right = {lab: _with_prior(_when_right(lab, recorded, ancestry),
                                 confirmed.loc[confirmed["ai"] == lab, "truth"].value_counts()) for lab in labels}
    if_wrong = {lab: _when_wrong(lab, corrections, overall) for lab in labels}
    cols = sorted(set(ev["used"]) | {n for names in ev["also"] for n in names}
                  | {n for d in if_right.values() for n in d} | {n for d in if_wrong.values() for n in d})
    right_m = pd.DataFrame([if_right[lab] for lab in labels], index=labels, columns=cols).fillna(0.0)
    wrong_m = pd.DataFrame([if_wrong[lab] for lab in labels], index=labels, columns=cols).fillna(0.0)
    p = chance_right(ev["confidence"], ev["ai"], cal)[:, None]
    probs = right_m.loc[ev["ai"]].to_numpy() * p + wrong_m.loc[ev["ai"]].to_numpy() * (1 - p)
    known = ev["truth"].notna().to_numpy()
    arr = np.array(probs, dtype=float)
    arr[known] = 0.0  # a reviewed event is what the reviewer said, and nothing else
    col_of = {c: i for i, c in enumerate(cols)}
    rows = np.flatnonzero(known)
    arr[rows, pd.Series(ev["truth"].to_numpy()[rows]).map(col_of).to_numpy(dtype=int)] = 1.0
    for i in rows[ev["also"].to_numpy()[rows].astype(bool)] if len(rows) else []:
        arr[i, [col_of[n] for n in ev.at[i, "also"]]] = 1.0
    probs = pd.DataFrame(arr, index=ev.index, columns=cols)
    return ev, probs, cal, int(len(reviewed))


def effort_matrix(daily: pd.DataFrame, occasion_days: int = DEFAULT_OCCASION_DAYS) -> pd.DataFrame:
    """Days each station's cameras ran in each occasion (stations x occasion start dates, ISO strings).

    `daily` has site and date (one row per local day a camera ran). Occasions start on the first day any camera
    ran, as camtraptools counts them."""
    if occasion_days < 1 or int(occasion_days) != occasion_days:
        raise AnalysisError(f"review plan: occasion_days must be a whole number >= 1, not {occasion_days}")
    if daily.empty:
        raise AnalysisError("review plan: no camera ran on any day")
    days = pd.to_datetime(daily["date"]).dt.date
    first, last = days.min(), days.max()
    n = (last - first).days // occasion_days + 1
    starts = [(first + timedelta(days=occasion_days * k)).isoformat() for k in range(n)]
    frame = pd.DataFrame({"site": daily["site"].to_numpy(), "day": days.to_numpy()}).drop_duplicates()
    frame["occasion"] = [(d - first).days // occasion_days for d in frame["day"]]
    counts = frame.groupby(["site", "occasion"]).size()
    sites = sorted(frame["site"].unique())
    out = pd.DataFrame(0, index=pd.Index(sites, name="site"), columns=starts)
    for (site, occ), k in counts.items():
        out.iat[out.index.get_loc(site), int(occ)] = int(k)
    return out


def _cells(ev: pd.DataFrame, effort: pd.DataFrame, occasion_days: int) -> tuple[np.ndarray, np.ndarray]:
    rows = effort.index.get_indexer(ev["site"])
    first = np.datetime64(effort.columns[0], "D")
    days = pd.to_datetime(ev["day"]).to_numpy().astype("datetime64[D]")
    cols = ((days - first).astype(int) // occasion_days).astype(int)
    out = (rows < 0) | (cols < 0) | (cols >= len(effort.columns))
    return np.where(out, -1, rows), np.where(out, -1, cols)


def cell_certainty(ev: pd.DataFrame, chance: np.ndarray, effort: pd.DataFrame, occasion_days: int) -> np.ndarray:
    """Per station and occasion, the probability the species was truly recorded: 1 - prod(1 - p) over the cell's
    events; 0 where cameras ran without such events, NaN where none ran."""
    rows, cols = _cells(ev, effort, occasion_days)
    inside = rows >= 0
    with np.errstate(divide="ignore"):
        log_not = np.log1p(-np.clip(chance[inside], 0.0, 1.0))
    sums = np.zeros(effort.shape)
    np.add.at(sums, (rows[inside], cols[inside]), log_not)
    seen = np.zeros(effort.shape, dtype=bool)
    seen[rows[inside], cols[inside]] = True
    truly = -np.expm1(sums)
    cert = np.where(effort.to_numpy() > 0, 0.0, np.nan)
    return np.where(seen & (truly > 0), truly, cert)


def station_doubt(reported: np.ndarray, certainty: np.ndarray) -> tuple[float, float]:
    """Expected stations where the reported result is wrong: reported but not truly there, and truly there but
    never reported (`reported`: stations x occasions, 1 where the species is reported)."""
    at_station = (reported == 1).any(axis=1)
    with np.errstate(divide="ignore"):
        log_not = np.log1p(-np.clip(np.nan_to_num(certainty.astype(float)), 0, 1)).sum(axis=1)
    truly = -np.expm1(log_not)
    return float((1 - truly)[at_station].sum()), float(truly[~at_station].sum())


def _open_ids(cells: pd.DataFrame, chosen: pd.MultiIndex, n_cols: int) -> list[list]:
    """The unreviewed events of each chosen cell, in table order (a sort and a split, not a Python group-by)."""
    if not len(chosen):
        return []
    want = chosen.get_level_values("row").to_numpy() * n_cols + chosen.get_level_values("column").to_numpy()
    op = cells[cells["open"].to_numpy()]
    key = op["row"].to_numpy() * n_cols + op["column"].to_numpy()
    keep = np.isin(key, want)
    key, ids = key[keep], op["eventID"].to_numpy()[keep]
    order = np.argsort(key, kind="stable")
    key, ids = key[order], ids[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    groups = dict(zip(key[np.r_[0, bounds]].tolist(), np.split(ids, bounds))) if len(key) else {}
    return [groups[k].tolist() for k in want.tolist()]


def species_plan(ev: pd.DataFrame, probs: pd.DataFrame, taxon: str, effort: pd.DataFrame, occasion_days: int,
                 tolerance: float = DEFAULT_TOLERANCE, min_gain: float = DEFAULT_MIN_GAIN,
                 ) -> tuple[dict, pd.DataFrame]:
    """One species' doubt (records, doubt, expected false and missed stations, events to review, doubt left,
    spread thin) and its cells to review, most doubt per event first."""
    chance = probs[taxon].to_numpy() if taxon in probs.columns else np.zeros(len(ev))
    rows, cols = _cells(ev, effort, occasion_days)
    cert = cell_certainty(ev, chance, effort, occasion_days)
    reported = ev["used"] == taxon
    has_also = ev["also"].astype(bool)
    if has_also.any():
        reported |= has_also & ev["also"].map(lambda names: taxon in names)
    open_ = ev["truth"].isna() & ((ev["used"] == taxon) | (chance > 0))
    cells = pd.DataFrame({"row": rows, "column": cols, "eventID": ev["eventID"], "reported": reported,
                          "open": open_})
    cells = cells[cells["row"] >= 0]
    by = cells.groupby(["row", "column"]).agg(reported=("reported", "any"), events=("open", "sum"))
    truly = np.nan_to_num(cert[by.index.get_level_values("row"), by.index.get_level_values("column")])
    by["doubt"] = np.where(by["reported"], 1 - truly, truly)
    records = int(by["reported"].sum())
    hist = np.zeros(effort.shape, dtype=int)
    rep = by.index[by["reported"]]
    hist[rep.get_level_values("row"), rep.get_level_values("column")] = 1
    false_sites, missed_sites = station_doubt(hist, cert)
    todo = by[(by["doubt"] > 0) & (by["events"] > 0)].copy()
    todo["priority"] = todo["doubt"] / todo["events"]
    todo = todo[todo["priority"] >= min_gain].sort_values("priority", ascending=False)
    total = float(by["doubt"].sum())
    target = max(tolerance * records, MIN_DOUBT_LEFT)
    left_before = total - todo["doubt"].cumsum().shift(fill_value=0.0)
    chosen = todo[left_before > target].copy()
    chosen["ids"] = _open_ids(cells, chosen.index, len(effort.columns))
    left = total - float(chosen["doubt"].sum())
    summary = {
        "species": taxon, "records": records, "stations": int(hist.any(axis=1).sum()),
        "stationsSurveyed": int((effort.to_numpy() > 0).any(axis=1).sum()), "inDoubt": round(total, 2),
        "expectedFalseSites": round(false_sites, 1), "expectedMissedSites": round(missed_sites, 1),
        "toReview": len({e for ids in chosen["ids"] for e in ids}), "leftInDoubt": round(left, 2),
        "spreadThin": bool(chosen.empty and left > target),
    }
    return summary, chosen.assign(species=taxon)[["species", "priority", "doubt", "ids"]]


def review_plan(events: pd.DataFrame, effort: pd.DataFrame, occasion_days: int = DEFAULT_OCCASION_DAYS,
                species: list[str] | None = None, tolerance: float = DEFAULT_TOLERANCE,
                min_gain: float = DEFAULT_MIN_GAIN, ancestry: Mapping[str, set[str]] | None = None) -> ReviewPlan:
    """The review plan for `events` (see `label_chances`) on stations x occasions `effort` (see `effort_matrix`).

    Species are those chosen, else every species reported and every species probably missed at half a station
    or more. `species` table columns: species, records (station-occasions), stations (with a record; of
    stationsSurveyed: the naive occupancy), inDoubt, expectedFalseSites, expectedMissedSites, toReview,
    leftInDoubt, spreadThin (most to review first). `events` table: order, eventID, site, ai,
    confidence, species (those it matters for, "; "), doubt (the chance a review changes a record, summed).
    """
    if not 0 <= tolerance < 1:
        raise AnalysisError(f"review plan: tolerance must be in [0, 1), not {tolerance}")
    if not 0 <= min_gain <= 1:
        raise AnalysisError(f"review plan: min_gain must be in [0, 1], not {min_gain}")
    if effort.empty or len(effort.columns) == 0:
        raise AnalysisError("review plan: no station has any camera effort")
    ev, probs, cal, reviewed = label_chances(events, ancestry)
    if species:
        candidates = list(species)
    else:
        candidates = [n for n in sorted(probs.columns) if is_species(n) and n not in NON_TAXON_LABELS]
    recorded = set(ev["used"])
    rows, plans = [], []
    for taxon in candidates:
        summary, cells = species_plan(ev, probs, taxon, effort, occasion_days, tolerance, min_gain)
        if species or taxon in recorded or summary["expectedMissedSites"] >= MISSED_SITES_TO_LIST:
            rows.append(summary)
            plans.append(cells)
    cols = ["species", "records", "stations", "stationsSurveyed", "inDoubt", "expectedFalseSites",
            "expectedMissedSites", "toReview", "leftInDoubt", "spreadThin"]
    table = pd.DataFrame(rows, columns=cols)
    table = table.sort_values(["toReview", "records"], ascending=[False, False]).reset_index(drop=True)
    cells = (pd.concat(plans, ignore_index=True) if plans
             else pd.DataFrame(columns=["species", "priority", "doubt", "ids"]))
    cells = cells.sort_values("priority", ascending=False, kind="stable")
    order: dict[object, dict] = {}
    for cell in cells.itertuples():
        for eid in cell.ids:
            entry = order.setdefault(eid, {"eventID": eid, "species": [], "doubt": 0.0})
            if cell.species not in entry["species"]:
                entry["species"].append(cell.species)
            entry["doubt"] += cell.priority
    plan = pd.DataFrame(list(order.values()), columns=["eventID", "species", "doubt"])
    plan["species"] = plan["species"].map("; ".join)
    plan["doubt"] = plan["doubt"].astype(float).round(3)
    plan = plan.join(ev.drop_duplicates("eventID").set_index("eventID")[["site", "ai", "confidence"]], on="eventID")
    plan.insert(0, "order", range(1, len(plan) + 1))
    plan = plan[["order", "eventID", "site", "ai", "confidence", "species", "doubt"]]
    return ReviewPlan(table, plan, cal, reviewed, occasion_days, tolerance, min_gain)
