"""Density and numbers by spatial capture-recapture from the store's confirmed identifications, in one way.

Camera stations are proximity detectors, local days the occasions, the mask is land within a buffer of 4 sigma-hat
(refitted until the buffer suits), the detection function hazard half-normal unless asked otherwise. The CLI
(`bigcats density`), the web dashboard, the status report and the demo all call `estimate_density`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bigcats.core.frames import SurveyFrames
from bigcats.population.errors import PopulationError

DETECTFN = "HHN"


@dataclass
class DensityEstimate:
    """An SCR fit of one species with the inputs it was made from; `to_dict()` is what every face shows."""

    species: str
    inputs: Any  # population.from_store.SCRInputs
    fit: Any  # population.scr.SCRFit
    joint: dict | None = None
    settings: dict = field(default_factory=dict)

    def density(self) -> dict:
        """Density per 100 km² with SE and 95% interval."""
        d = self.fit.density("100km2")
        return {k: float(d[k]) for k in ("estimate", "SE", "lcl", "ucl")} | {"unit": d["unit"]}

    def areas(self) -> list[dict]:
        """Expected and realised N in the whole mask and each country's part of it."""
        from bigcats.population.from_store import n_by_side

        return n_by_side(self.fit, self.inputs.mask_side).to_dict(orient="records")

    def report_rows(self) -> list[dict]:
        """Density and N per region as the status report shows them."""
        from bigcats.population.from_store import report_rows

        return report_rows(self.fit, self.inputs)

    def finite(self) -> bool:
        """True when the fit gave a finite density and interval (enough recaptures)."""
        return bool(np.all(np.isfinite(list(self.density().values())[:4])))

    def to_dict(self) -> dict:
        """Species, settings, estimates, density per 100 km², N per side, data summary, -LL/AIC and warnings."""
        out = {"species": self.species, **self.settings, **self.fit.to_dict(), "data": self.inputs.summary(),
               "density_per_100km2": self.density(), "areas": self.areas(),
               "warnings": list(self.fit.warnings) + list(getattr(self.inputs, "warnings", []))}
        if self.joint is not None:
            out["joint_vs_separate"] = self.joint
        return out


def estimate_density(frames: SurveyFrames, species: str, *, detectfn: str = DETECTFN, buffer: float | None = None,
                     spacing: float | None = None, full_days_only: bool = True, likelihood: str = "full",
                     distribution: str = "poisson", covariate: str | None = None,
                     joint: bool = False, **options: Any) -> DensityEstimate:
    """Fit SCR to one species' confirmed identifications in the frames; PopulationError when it cannot be fitted.

    `options` go to population.from_store.fit_species: mask, habitat, crs, density (D~...), mixture, fastproximity.
    """
    from bigcats.population.from_store import fit_species
    from bigcats.survey.sides import require_sides

    require_sides(frames)
    obs = frames.observations
    if obs.empty or not (obs["scientificName"] == species).any():
        raise PopulationError(f"no observations of {species} in this selection")
    inputs, fit = fit_species(frames, species, buffer=buffer, spacing=spacing, detectfn=detectfn,
                              full_days_only=full_days_only, likelihood=likelihood, distribution=distribution,
                              covariate=covariate, **options)
    settings = {"detector": "proximity", "detectfn": detectfn, "likelihood": likelihood,
                "occasion": "local day" + (" (full days of effort)" if full_days_only else "")}
    comparison = None
    if joint:
        from bigcats.population.movement import joint_vs_separate

        if covariate:
            raise PopulationError("the joint-versus-separate comparison fits models without covariates; "
                                  "leave out the covariate")
        table = joint_vs_separate(inputs.capthist, inputs.mask, inputs.trap_side, inputs.mask_side, inputs.buffer_m,
                                  detectfn=detectfn)
        comparison = {
            "table": table.to_dict(orient="records"),
            "joint_N": float(table.loc[(table["analysis"] == "joint") & (table["area"] == "whole"), "N"].iloc[0]),
            "sum_of_countries_N": float(table.loc[table["area"] == "sum of countries", "N"].iloc[0])}
    return DensityEstimate(species, inputs, fit, comparison, settings)
