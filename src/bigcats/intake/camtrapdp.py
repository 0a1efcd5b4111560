"""Camtrap DP packages as survey frames (read with the exchange package's reader; validation is the importer's)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bigcats.exchange.camtrapdp.package import INDIVIDUALS_RESOURCE, OUTAGES_RESOURCE, open_package
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.problems import Problem


def _table(package, name: str) -> pd.DataFrame | None:
    chunks = [chunk for _, _, chunk in package.iter_chunks(name)]
    if not chunks:
        return None
    df = pd.concat(chunks, ignore_index=True)
    return df.mask(df.eq(""))


def _offset_minutes(text: pd.Series) -> pd.Series:
    """Minutes east of UTC from ISO 8601 timestamps ('...+10:00', '...Z')."""
    m = pd.Series(text, dtype="string").str.extract(r"([+-])(\d{2}):?(\d{2})$")
    sign = m[0].map({"+": 1, "-": -1}).fillna(0)
    return (sign * (pd.to_numeric(m[1]).fillna(0) * 60 + pd.to_numeric(m[2]).fillna(0))).astype("int64")


def read_camtrapdp(path: str | Path, partner: str) -> tuple[SurveyFrames, IntakeReport]:
    """Survey frames from a Camtrap DP package (folder, datapackage.json or zip)."""
    from bigcats.exchange.camtrapdp.importer import validate_package  # the importer's checks, so no bad value
    from bigcats.problems import DataError                           # reaches the conversions below

    package = open_package(path)
    report = IntakeReport(source=str(path), format="camtrapdp", partner=partner)
    try:
        problems, _ = validate_package(package)
        if problems:
            raise DataError(problems, f"package {path}")
        dep, media, obs = (_table(package, n) for n in ("deployments", "media", "observations"))
        outages, individuals = _table(package, OUTAGES_RESOURCE), _table(package, INDIVIDUALS_RESOURCE)
    finally:
        package.close()
    if dep is None:
        raise IntakeError([Problem("missing-resource", "package has no deployments table", file=str(path))],
                          str(path))
    dep["utcOffset"] = _offset_minutes(dep["deploymentStart"])
    for col in ("deploymentStart", "deploymentEnd"):
        dep[col] = pd.to_datetime(dep[col], utc=True, format="ISO8601")
    dep["partner"] = partner
    if media is not None:
        media["timestamp"] = pd.to_datetime(media["timestamp"], utc=True, format="ISO8601")
    if obs is not None:
        obs["timestamp"] = pd.to_datetime(obs["eventStart"], utc=True, format="ISO8601")
        obs["utcOffset"] = obs["deploymentID"].map(dep.set_index("deploymentID")["utcOffset"])
        obs["locationID"] = obs["deploymentID"].map(dep.set_index("deploymentID")["locationID"])
    frames = SurveyFrames.build(deployments=dep, outages=outages, media=media, observations=obs,
                                individuals=individuals)
    report.finish(**frames.counts())
    return frames, report
