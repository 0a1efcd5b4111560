"""Capture histories for spatial capture-recapture: who was detected where and when, and detector usage.

The same structure serves secr's detector types: 'multi' (an animal is caught at most once per occasion),
'proximity' (one binary record per animal, detector and occasion; a camera station) and 'count' (Poisson counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bigcats.population.errors import PopulationError, listed

DETECTORS = ("multi", "proximity", "count")


@dataclass
class CaptureHistory:
    """One session: detectors (trapID, x, y in metres), usage (K x S), and the detections as index arrays."""

    traps: pd.DataFrame
    usage: np.ndarray
    animal: np.ndarray  # index into `animals` of each detection record
    occasion: np.ndarray  # 0-based occasion of each record
    trap: np.ndarray  # 0-based detector of each record
    count: np.ndarray  # detections in the record (1 for binary detectors)
    animals: np.ndarray  # the animal IDs, in order
    detector: str = "proximity"
    covariates: pd.DataFrame = field(default_factory=pd.DataFrame)
    session: str = "1"
    # Polygon and transect detectors (population/polygon.py): vertices per detector, and the x, y of each record
    # (one record per detection); None for point detectors.
    geometry: list[np.ndarray] | None = None
    detection_xy: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of animals detected."""
        return len(self.animals)

    @property
    def noccasions(self) -> int:
        """Number of sampling occasions."""
        return self.usage.shape[1]

    @property
    def xy(self) -> np.ndarray:
        """Detector coordinates as a K x 2 array."""
        return self.traps[["x", "y"]].to_numpy(float)

    def counts_by_trap(self) -> np.ndarray:
        """Detections per animal and detector, summed over occasions (n x K)."""
        y = np.zeros((self.n, len(self.traps)))
        np.add.at(y, (self.animal, self.trap), self.count)
        return y

    def caught(self) -> np.ndarray:
        """Whether each animal was detected on each occasion (n x S)."""
        c = np.zeros((self.n, self.noccasions))
        c[self.animal, self.occasion] = 1.0
        return c

    def summary(self) -> dict:
        """Counts secr's summary(capthist) prints: animals, detections, moves and detectors used."""
        if self.detection_xy is not None:
            # search-encounter data: a spatial recapture is a detection at another place, in the same area or not
            places = pd.DataFrame({"a": self.animal, "x": self.detection_xy[:, 0], "y": self.detection_xy[:, 1]})
            per_animal_traps = places.drop_duplicates().groupby("a").size()
        else:
            per_animal_traps = pd.DataFrame({"a": self.animal, "t": self.trap}).drop_duplicates().groupby("a").size()
        return {
            "session": self.session, "detector": self.detector, "animals": self.n,
            "detections": int(self.count.sum()), "occasions": self.noccasions, "detectors": int(len(self.traps)),
            "detectors_used": int(np.unique(self.trap).size),
            "recaptures": int(self.count.sum() - self.n),
            "spatial_recaptures": int((per_animal_traps > 1).sum()),
            "moves": int((per_animal_traps - 1).sum()),
        }

    def subset_traps(self, keep: np.ndarray) -> CaptureHistory:
        """The capture history restricted to some detectors (a boolean over traps); animals never seen are dropped."""
        keep = np.asarray(keep, bool)
        new_index = np.cumsum(keep) - 1
        rec = keep[self.trap]
        seen = np.unique(self.animal[rec])
        remap = np.full(self.n, -1)
        remap[seen] = np.arange(seen.size)
        cov = self.covariates.iloc[seen].reset_index(drop=True) if len(self.covariates) else self.covariates
        return CaptureHistory(self.traps.loc[keep].reset_index(drop=True), self.usage[keep], remap[self.animal[rec]],
                              self.occasion[rec], new_index[self.trap[rec]], self.count[rec], self.animals[seen],
                              self.detector, cov, self.session,
                              None if self.geometry is None else [g for g, k in zip(self.geometry, keep) if k],
                              None if self.detection_xy is None else self.detection_xy[rec])


def _pick(frame: pd.DataFrame, names: tuple[str, ...], what: str, source: str) -> pd.Series:
    for name in names:
        if name in frame.columns:
            return frame[name]
    raise PopulationError(f"{source}: no {what} column (expected one of {', '.join(names)})")


def make_capthist(
    captures: pd.DataFrame, traps: pd.DataFrame, usage: np.ndarray | pd.DataFrame | None = None,
    noccasions: int | None = None, detector: str = "proximity", covariates: pd.DataFrame | None = None,
    session: str = "1", source: str = "captures",
) -> CaptureHistory:
    """Build and check a capture history from a table of detections (animal, occasion 1-based or a usage column, trap)."""
    if detector not in DETECTORS:
        raise PopulationError(f"{source}: detector must be one of {', '.join(DETECTORS)}, got {detector!r}")
    trap_ids = _pick(traps, ("trapID", "locationID", "detector", "id"), "detector id", "detectors").astype(str).to_numpy()
    if pd.Index(trap_ids).duplicated().any():
        raise PopulationError(f"detectors: duplicate detector id {listed(pd.Index(trap_ids)[pd.Index(trap_ids).duplicated()].tolist())}")
    xy = traps[["x", "y"]].to_numpy(float) if {"x", "y"} <= set(traps.columns) else None
    if xy is None or not np.isfinite(xy).all():
        raise PopulationError("detectors: every detector needs finite projected x and y coordinates in metres")
    tr = pd.DataFrame({"trapID": trap_ids, "x": xy[:, 0], "y": xy[:, 1]})
    animal = _pick(captures, ("animal", "individualID", "ID"), "animal", source).astype(str).to_numpy()
    trap = _pick(captures, ("trapID", "locationID", "detector"), "detector", source).astype(str).to_numpy()
    occ_raw = _pick(captures, ("occasion",), "occasion", source)
    cnt = (captures["count"] if "count" in captures.columns else captures["detections"] if "detections" in captures.columns
           else pd.Series(1, index=captures.index)).to_numpy(float)

    if isinstance(usage, pd.DataFrame):
        # A camera-operation style table: rows are detectors, columns occasions; NaN means not deployed.
        occ_labels = list(usage.columns)
        # Detectors missing from the table did not operate.
        usage = usage.set_axis([str(i) for i in usage.index]).reindex(trap_ids).to_numpy(float)
        occ_pos = pd.Index(occ_labels).get_indexer(occ_raw)
        if (occ_pos < 0).any():
            raise PopulationError(f"{source}: occasion {listed(pd.unique(occ_raw[occ_pos < 0]).tolist())} not among the usage columns")
    else:
        occ_num = pd.to_numeric(occ_raw, errors="coerce").to_numpy(float)
        bad = ~np.isfinite(occ_num) | (np.abs(occ_num) < 1) | (occ_num != np.round(occ_num))
        if bad.any():
            rows = np.flatnonzero(bad)[:8] + 1
            raise PopulationError(f"{source}: occasion must be a whole number from 1, bad at row {listed(rows.tolist())}")
        # secr marks an animal removed (dead) with a negative occasion; the detection itself still counts.
        occ_pos = np.abs(occ_num).astype(int) - 1
    if usage is None:
        s = int(noccasions or (occ_pos.max() + 1 if len(occ_pos) else 1))
        usage = np.ones((len(tr), s))
    usage = np.nan_to_num(np.asarray(usage, float), nan=0.0)
    if usage.ndim != 2 or usage.shape[0] != len(tr):
        raise PopulationError(f"usage must be detectors x occasions ({len(tr)} rows), got shape {usage.shape}")
    if (usage < 0).any():
        raise PopulationError(f"usage: negative effort at detector {listed(tr['trapID'][(usage < 0).any(1)].tolist())}")
    if noccasions is not None and usage.shape[1] != noccasions:
        raise PopulationError(f"usage has {usage.shape[1]} occasions but noccasions={noccasions}")
    if len(occ_pos) and occ_pos.max() >= usage.shape[1]:
        raise PopulationError(f"{source}: occasion {int(occ_pos.max()) + 1} is beyond the {usage.shape[1]} occasions of the survey")

    tpos = pd.Index(trap_ids).get_indexer(trap)
    if (tpos < 0).any():
        raise PopulationError(f"{source}: detector {listed(pd.unique(trap[tpos < 0]).tolist())} is not in the detector layout")
    if not (np.isfinite(cnt) & (cnt >= 1) & (cnt == np.round(cnt))).all():
        raise PopulationError(f"{source}: counts must be whole numbers of at least 1, bad at row "
                              f"{listed((np.flatnonzero(~((cnt >= 1) & (cnt == np.round(cnt)))) + 1).tolist())}")
    idle = usage[tpos, occ_pos] <= 0
    if idle.any():
        ex = [f"{animal[i]} at {trap[i]} on occasion {occ_pos[i] + 1}" for i in np.flatnonzero(idle)[:5]]
        raise PopulationError(f"{source}: detection at a detector with zero usage (not operating): {'; '.join(ex)}")

    animals, a_idx = np.unique(animal, return_inverse=True)
    rec = pd.DataFrame({"a": a_idx, "s": occ_pos, "k": tpos, "c": cnt})
    rec = rec.groupby(["a", "s", "k"], as_index=False)["c"].sum()
    if detector == "proximity":
        rec["c"] = 1.0  # binary: detected or not per detector and occasion
    if detector == "multi":
        rec["c"] = 1.0
        twice = rec.duplicated(["a", "s"], keep=False)
        if twice.any():
            r = rec.loc[twice].iloc[0]
            raise PopulationError(f"{source}: animal {animals[int(r['a'])]} detected at more than one detector on occasion "
                                  f"{int(r['s']) + 1}; a multi-catch detector allows one — use detector 'proximity'")
    cov = pd.DataFrame(index=range(len(animals)))
    if covariates is not None and len(covariates):
        key = _pick(covariates, ("animal", "individualID", "ID"), "animal", "covariates").astype(str)
        cov = covariates.drop(columns=[key.name]).set_axis(key.to_numpy()).reindex(animals).reset_index(drop=True)
    return CaptureHistory(tr, usage, rec["a"].to_numpy(int), rec["s"].to_numpy(int), rec["k"].to_numpy(int),
                          rec["c"].to_numpy(float), animals, detector, cov, str(session))
