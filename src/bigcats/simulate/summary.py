"""The demo summary of a simulated survey: per side, what the partners' frames show, with the truth beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from bigcats.simulate.survey import SimulatedSurvey


def _per_side(series: pd.Series) -> dict:
    return {str(k): (round(float(v), 2) if isinstance(v, float) else int(v)) for k, v in series.items()}


def detections_by_side(observations: pd.DataFrame, deployments: pd.DataFrame) -> pd.DataFrame:
    """Events per species (or observation type where unnamed) and country: rows species, columns countries."""
    country = observations["deploymentID"].map(deployments.set_index("deploymentID")["country"])
    what = observations["scientificName"].fillna(observations["observationType"])
    return pd.crosstab(what, country).rename_axis(index="species", columns="country")


def summarise(survey: SimulatedSurvey) -> dict:
    """Stations, trap-nights, detections per species and side, individuals and cross-border ones, plus truth."""
    truth = survey.truth
    deployments = survey.frame("deployments")
    observations = survey.frame("observations")
    stations = truth.stations
    detections = detections_by_side(observations, deployments)
    side_of_partner = {share.partner: share.country for share in survey.partners.values()}
    events = truth.events
    individuals: dict[str, dict] = {}
    for name, cat in truth.cats.items():
        mine = events[events["scientificName"] == name]
        sides_detected = mine.groupby("trueID")["partner"].nunique()
        identified = mine[mine["identified"]]
        sides_identified = identified.groupby("trueID")["partner"].nunique()
        codes = truth.codes[truth.codes["scientificName"] == name]
        individuals[name] = {
            "catalogued_per_side": _per_side(codes.groupby("partner").size().rename(index=side_of_partner)),
            "identified": int(len(sides_identified)),
            "identified_on_both_sides": int((sides_identified > 1).sum()),
            "true_N": cat.n_individuals,
            "true_detected": int(len(sides_detected)),
            "true_detected_on_both_sides": int((sides_detected > 1).sum()),
            "true_density_per_100km2": round(cat.density_per_100km2, 4),
            "state_space_km2": round(cat.area_km2, 1),
            "g0_per_day": cat.g0,
            "sigma_m": cat.sigma_m,
        }
    return {
        "seed": truth.seed,
        "stations": _per_side(stations.groupby("country").size()),
        # Working camera time in days: set-up to retrieval, less failures (no half-day convention).
        "trap_nights": _per_side(stations.groupby("country")["trap_days"].sum()),
        "detections": {str(sp): _per_side(row[row > 0]) for sp, row in detections.iterrows()},
        "individuals": individuals,
        "photos": int(len(survey.frame("media"))),
        "events": int(len(observations)),
    }
