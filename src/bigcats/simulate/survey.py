"""Simulate a whole transboundary survey: the partners' survey frames, and the truth kept beside them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bigcats.simulate.cameras import CameraTime
from bigcats.simulate.cats import CatTruth, simulate_cat
from bigcats.simulate.codes import individual_codes, station_codes
from bigcats.simulate.community import label_of, simulate_other
from bigcats.simulate.config import SurveyConfig
from bigcats.simulate.errors import SimulationError
from bigcats.simulate.frames import (
    DEPLOYMENT_COLUMNS,
    OUTAGE_COLUMNS,
    build_media,
    build_observations,
    running_number,
    to_utc,
)
from bigcats.simulate.geography import load_countries, station_layout
from bigcats.simulate.rhythm import Rhythm
from bigcats.simulate.schedule import DAY, days_in_year, deployment_schedule, failure_periods, operating_intervals

FRAME_NAMES = ("deployments", "outages", "media", "observations", "individuals")


@dataclass
class PartnerShare:
    """One partner's part of the survey, as it would export it: survey frames in Camtrap DP column names."""

    partner: str
    country: str
    utc_offset: int
    protected_area: str
    deployments: pd.DataFrame
    outages: pd.DataFrame
    media: pd.DataFrame
    observations: pd.DataFrame
    individuals: pd.DataFrame


@dataclass
class Truth:
    """What really happened in the simulation, for checking what the analyses recover."""

    seed: int
    crs: str
    config: SurveyConfig
    stations: pd.DataFrame  # locationID, partner, country, x, y, longitude, latitude, trap_days
    cats: dict[str, CatTruth]  # by scientificName
    codes: pd.DataFrame  # partner, partnerCode, scientificName, trueID, sex
    rhythms: dict[str, Rhythm]  # by scientificName, or observation type for vehicles and blanks
    occupancy: pd.DataFrame  # locationID, label, psi, occupied, rate_per_day
    failures: pd.DataFrame  # deploymentID, locationID, partner, start, end, reason
    events: pd.DataFrame  # every event with the true species and individual, identified or not
    expected: pd.DataFrame  # label, deploymentID, locationID, partner, expected_events (model mean)


@dataclass
class SimulatedSurvey:
    """The partners' shares (by partner code) and the truth."""

    partners: dict[str, PartnerShare]
    truth: Truth

    def frame(self, name: str) -> pd.DataFrame:
        """One survey frame over all partners (timestamps are UTC, so the partners' rows concatenate)."""
        if name not in FRAME_NAMES:
            raise SimulationError(f"no survey frame '{name}'; frames are {', '.join(FRAME_NAMES)}")
        return pd.concat([getattr(share, name) for share in self.partners.values()], ignore_index=True)

    def summary(self) -> dict:
        """Stations, trap-nights, detections and individuals per side, from the frames and the truth."""
        from bigcats.simulate.summary import summarise

        return summarise(self)


def _rng(seed: int, stream: str) -> np.random.Generator:
    # One independent stream per component: changing the leopards leaves the stations and the deer as they were.
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _camera_ids(rng: np.random.Generator, deps: pd.DataFrame, make: np.ndarray) -> pd.Series:
    serial = rng.integers(10_000, 100_000, len(deps))
    first_of_station = deps.groupby("station")["k"].transform("idxmin").to_numpy()
    # Half the card swaps keep the same camera; the others bring a fresh one.
    keep_same = (deps["k"].to_numpy() > 1) & (rng.random(len(deps)) < 0.5)
    serial = np.where(keep_same, serial[first_of_station], serial)
    prefix = pd.Series(make).str.upper().str.replace(" ", "", regex=False).str[:4]
    return prefix + "-" + pd.Series(serial).astype(str)


def simulate_survey(seed: int = 1, config: SurveyConfig | None = None) -> SimulatedSurvey:
    """Simulate stations, deployments, failures, animals, events and photos; same seed, same survey."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    cfg = config or SurveyConfig()
    countries = load_countries(cfg.countries_path, cfg.crs)
    stations = station_layout(_rng(seed, "stations"), cfg.bbox, cfg.centre, cfg.n_stations, cfg.spacing_km,
                              cfg.jitter_km, countries, tuple(p.country for p in cfg.partners), cfg.crs)
    partner_by_country = {p.country: p for p in cfg.partners}
    stations["partner"] = stations["country"].map({c: p.code for c, p in partner_by_country.items()}).astype("str")
    stations["utcOffset"] = stations["country"].map({c: p.utc_offset_min for c, p in partner_by_country.items()})
    stations["locationID"] = pd.Series(np.nan, index=stations.index, dtype="str")
    code_rng = _rng(seed, "codes")
    for p in cfg.partners:
        mask = stations["country"] == p.country
        stations.loc[mask, "locationID"] = station_codes(code_rng, stations[mask], p)

    year_days = days_in_year(cfg.year)
    deps = deployment_schedule(_rng(seed, "schedule"), len(stations), cfg.year, cfg.setup_window_days,
                               cfg.card_swap_fraction)
    fails = failure_periods(_rng(seed, "failures"), deps["start_s"].to_numpy(), deps["end_s"].to_numpy(),
                            cfg.failure_fraction)
    out_start = np.full(len(deps), -1, dtype=np.int64)
    out_end = np.full(len(deps), -1, dtype=np.int64)
    out_start[fails["dep"].to_numpy()] = fails["start_s"].to_numpy()
    out_end[fails["dep"].to_numpy()] = fails["end_s"].to_numpy()
    work_dep, work_start, work_end = operating_intervals(deps["start_s"].to_numpy(), deps["end_s"].to_numpy(),
                                                         fails["dep"].to_numpy(), fails["start_s"].to_numpy(),
                                                         fails["end_s"].to_numpy())
    cams = CameraTime(deps["station"].to_numpy(), deps["start_s"].to_numpy(), deps["end_s"].to_numpy(),
                      out_start, out_end, work_dep, work_start, work_end, year_days)

    st = stations.iloc[deps["station"].to_numpy()].reset_index(drop=True)
    partner_of_dep = st["partner"].to_numpy()
    make = st["country"].map({c: p.camera_make for c, p in partner_by_country.items()}).to_numpy()
    model = st["country"].map({c: p.camera_model for c, p in partner_by_country.items()}).to_numpy()
    deps["locationID"] = st["locationID"]
    deps["deploymentID"] = st["locationID"] + f"_{cfg.year}-" + deps["k"].astype(str)
    deps["cameraID"] = _camera_ids(_rng(seed, "cameras"), deps, make)

    sx, sy = stations["x"].to_numpy(), stations["y"].to_numpy()
    station_country = stations["country"].to_numpy()
    ev_parts, offset_parts, expected_parts, occupancy_parts = [], [], [], []
    cats: dict[str, CatTruth] = {}
    rhythms: dict[str, Rhythm] = {}
    for cat in cfg.cats:
        events, attrs, truth, expected = simulate_cat(_rng(seed, f"cat:{cat.key}"), cat, sx, sy, cams, countries,
                                                      cfg.land_only_habitat, cfg.crs, cfg.max_photos)
        cats[cat.scientific_name] = truth
        rhythms[cat.scientific_name] = cat.rhythm
        ev_parts.append(attrs.assign(dep=events.dep, start_s=events.start_s, end_s=events.end_s,
                                     n_photos=events.n_photos))
        offset_parts.append(events.offsets_s)
        expected_parts.append(pd.DataFrame({"label": cat.scientific_name, "dep": np.arange(cams.n),
                                            "expected_events": expected}))
    for sp in cfg.others:
        label = label_of(sp)
        events, attrs, occupancy, expected = simulate_other(_rng(seed, f"other:{label}"), sp, station_country,
                                                            cams, cfg.max_photos, cfg.unknown_fraction,
                                                            cfg.machine_fraction)
        rhythms[label] = sp.rhythm
        ev_parts.append(attrs.assign(dep=events.dep, start_s=events.start_s, end_s=events.end_s,
                                     n_photos=events.n_photos))
        offset_parts.append(events.offsets_s)
        expected_parts.append(pd.DataFrame({"label": label, "dep": np.arange(cams.n), "expected_events": expected}))
        occupancy_parts.append(occupancy)

    ev = pd.concat(ev_parts, ignore_index=True)
    offsets = np.concatenate(offset_parts) if offset_parts else np.zeros((0, cfg.max_photos), dtype=np.int64)
    order = np.lexsort((ev["start_s"].to_numpy(), ev["dep"].to_numpy()))
    ev = ev.iloc[order].reset_index(drop=True)
    offsets = offsets[order]
    dep = ev["dep"].to_numpy()
    ev["partner"] = partner_of_dep[dep]
    ev["locationID"] = deps["locationID"].to_numpy()[dep]
    ev["deploymentID"] = deps["deploymentID"].to_numpy()[dep]
    ev["utcOffset"] = st["utcOffset"].to_numpy()[dep]
    ev["cameraMake"] = make[dep]
    ev["cameraModel"] = model[dep]
    seq = pd.Series(running_number(deps["station"].to_numpy()[dep])).astype(str).str.zfill(5)
    ev["eventID"] = ev["locationID"] + "-E" + seq
    ev["observationID"] = ev["locationID"] + "-O" + seq

    # Each partner numbers the cats it has identified in its own catalogue.
    ev["individualID"] = pd.Series(np.nan, index=ev.index, dtype="str")
    code_parts = []
    for p in cfg.partners:
        for cat in cfg.cats:
            mask = ev["identified"].to_numpy(dtype=bool) & (ev["partner"] == p.code).to_numpy() \
                & (ev["scientificName"] == cat.scientific_name).to_numpy()
            first = (ev[mask].groupby("trueID", sort=True)
                     .agg(first=("start_s", "min"), sex=("sex", "first")).reset_index())
            codes = individual_codes(code_rng, p, cat.key, first)
            ev.loc[mask, "individualID"] = ev.loc[mask, "trueID"].map(codes)
            code_parts.append(pd.DataFrame({"partner": p.code, "partnerCode": codes.to_numpy(),
                                            "scientificName": cat.scientific_name, "trueID": codes.index,
                                            "sex": first.set_index("trueID").loc[codes.index, "sex"].to_numpy()}))
    codes_all = pd.concat(code_parts, ignore_index=True).astype(
        {"partner": "str", "partnerCode": "str", "scientificName": "str", "trueID": "str", "sex": "str"})

    utc_dep = st["utcOffset"].to_numpy()
    deployments = pd.DataFrame({
        "deploymentID": deps["deploymentID"].astype("str"),
        "locationID": deps["locationID"].astype("str"),
        "locationName": deps["locationID"].astype("str"),
        "latitude": st["latitude"].round(6),
        "longitude": st["longitude"].round(6),
        "deploymentStart": to_utc(deps["start_s"].to_numpy(), utc_dep, cfg.year),
        "deploymentEnd": to_utc(deps["end_s"].to_numpy(), utc_dep, cfg.year),
        "cameraID": deps["cameraID"].astype("str"),
        "utcOffset": utc_dep.astype("int64"),
        "country": st["country"].astype("str"),
        "protectedArea": st["country"].map({c: p.protected_area for c, p in partner_by_country.items()}).astype("str"),
        "partner": st["partner"].astype("str"),
    })[DEPLOYMENT_COLUMNS]
    fd = fails["dep"].to_numpy()
    outages = pd.DataFrame({
        "deploymentID": deployments["deploymentID"].to_numpy()[fd],
        "start": to_utc(fails["start_s"].to_numpy(), utc_dep[fd], cfg.year),
        "end": to_utc(fails["end_s"].to_numpy(), utc_dep[fd], cfg.year),
        "reason": fails["reason"].astype("str"),
    })[OUTAGE_COLUMNS].astype({"deploymentID": "str"})

    media_all = build_media(ev, offsets, cfg.year)
    obs_all = build_observations(ev, cfg.year)
    shares: dict[str, PartnerShare] = {}
    for p in cfg.partners:
        dep_mask = (deployments["partner"] == p.code).to_numpy()
        dep_ids = deployments.loc[dep_mask, "deploymentID"]
        ev_mask = (ev["partner"] == p.code).to_numpy()
        mine = codes_all[codes_all["partner"] == p.code]
        shares[p.code] = PartnerShare(
            partner=p.code, country=p.country, utc_offset=p.utc_offset_min, protected_area=p.protected_area,
            deployments=deployments[dep_mask].sort_values("deploymentID", ignore_index=True),
            outages=outages[outages["deploymentID"].isin(dep_ids)].sort_values("deploymentID", ignore_index=True),
            media=media_all[media_all["deploymentID"].isin(dep_ids)].sort_values("mediaID", ignore_index=True),
            observations=obs_all[ev_mask].sort_values("observationID", ignore_index=True),
            individuals=pd.DataFrame({"individualID": mine["partnerCode"], "scientificName": mine["scientificName"],
                                      "partner": mine["partner"], "partnerCode": mine["partnerCode"],
                                      "sex": mine["sex"]}).reset_index(drop=True),
        )

    work_days = np.bincount(work_dep, weights=(work_end - work_start) / DAY, minlength=cams.n)
    stations["trap_days"] = np.bincount(cams.station, weights=work_days, minlength=len(stations))
    for truth in cats.values():
        per_ind = ev[ev["scientificName"] == truth.scientific_name].groupby("trueID").size()
        truth.centres["detected_events"] = truth.centres["trueID"].map(per_ind).fillna(0).astype("int64")
    expected = pd.concat(expected_parts, ignore_index=True)
    expected["deploymentID"] = deployments["deploymentID"].to_numpy()[expected["dep"].to_numpy()]
    expected["locationID"] = deployments["locationID"].to_numpy()[expected["dep"].to_numpy()]
    expected["partner"] = deployments["partner"].to_numpy()[expected["dep"].to_numpy()]
    occupancy = (pd.concat(occupancy_parts, ignore_index=True) if occupancy_parts
                 else pd.DataFrame(columns=["station", "label", "psi", "occupied", "rate_per_day"]))
    occupancy.insert(0, "locationID", stations["locationID"].to_numpy()[occupancy["station"].to_numpy(dtype=int)])
    truth = Truth(
        seed=seed, crs=cfg.crs, config=cfg,
        stations=stations[["locationID", "partner", "country", "utcOffset", "x", "y", "longitude", "latitude",
                           "trap_days"]].copy(),
        cats=cats, codes=codes_all, rhythms=rhythms,
        occupancy=occupancy.drop(columns="station"),
        failures=outages.assign(locationID=deployments["locationID"].to_numpy()[fd],
                                partner=deployments["partner"].to_numpy()[fd]),
        events=pd.DataFrame({
            "eventID": ev["eventID"], "partner": ev["partner"], "deploymentID": ev["deploymentID"],
            "locationID": ev["locationID"], "eventStart": obs_all["eventStart"], "eventEnd": obs_all["eventEnd"],
            "label": ev["label"], "scientificName": ev["scientificName"].astype("str"),
            "observationType": ev["observationType"].astype("str"), "trueID": ev["trueID"].astype("str"),
            "identified": ev["identified"].astype(bool), "individualID": ev["individualID"],
            "count": ev["count"].astype("Int64"), "n_photos": ev["n_photos"].astype("int64"),
        }),
        expected=expected[["label", "deploymentID", "locationID", "partner", "expected_events"]],
    )
    return SimulatedSurvey(partners=shares, truth=truth)
