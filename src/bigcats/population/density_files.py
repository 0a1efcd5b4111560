"""SCR density from secr's text files, with secr's defaults: the library verb behind `bigcats density --captures`.

secr's own files get secr's defaults: read.capthist's detector 'multi', a trapbuffer mask of buffer 100 m and
64 cells across unless a mask file is given, HN detection (HHN for polygon and transect detectors), the full likelihood, and every session fitted together
(secr.fit on a multi-session capthist shares the detection parameters; D~1 unless a density model says otherwise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bigcats.population.errors import PopulationError
from bigcats.population.mask import Mask, check_mask, clip_mask, make_mask, read_habitat
from bigcats.population.polygon import make_polygon_mask
from bigcats.population.scr import SCRFit, aic_table, fit_scr, region_n
from bigcats.population.secr_io import read_capthist, read_mask, write_secr_script


def _masks(sessions: dict, buffer: float, nx: int, mask_path: Path | None, habitat_path: Path | None) -> dict[str, Mask]:
    habitat = read_habitat(habitat_path) if habitat_path is not None else None
    if mask_path is not None:
        given = read_mask(mask_path)
        masks = {s: given for s in sessions}
    else:
        # polygons and transects: within the buffer of the searched areas and routes, not of points
        masks = {s: make_mask(ch.xy, buffer, nx=nx) if ch.geometry is None else
                 make_polygon_mask(ch.geometry, ch.detector, buffer, nx=nx) for s, ch in sessions.items()}
    if habitat is not None:
        masks = {s: clip_mask(m, habitat) for s, m in masks.items()}
    for s, ch in sessions.items():
        check_mask(masks[s], ch.xy, ch.traps["trapID"].to_numpy())
    return masks


def density_from_files(
    captures: str | Path, traps: str | Path, detector: str = "multi", buffer: float = 100.0, nx: int = 64,
    detectfn: str | int | None = None, likelihood: str = "full", distribution: str = "poisson", fmt: str | None = None,
    covariate: str | None = None, mask: str | Path | None = None, habitat: str | Path | None = None,
    binary_usage: bool = True, density: str = "~1", mixture: str | None = None, fastproximity: bool = True,
    separate: bool = False, secr_script: str | Path | None = None, compare: bool = False,
) -> dict:
    """Fit SCR to secr's capture and detector files; one JSON-ready result per fit (sessions together by default).

    With compare, the same model is also fitted with each detection function (and with an h2 mixture) and the
    models are ranked by AICc as secr's AIC() does.
    """
    sessions = read_capthist(captures, traps, detector=detector, fmt=fmt, binary_usage=binary_usage)
    masks = _masks(sessions, buffer, nx, Path(mask) if mask else None, Path(habitat) if habitat else None)
    kwargs = dict(detectfn=detectfn, likelihood=likelihood, distribution=distribution, covariate=covariate,
                  density=density, mixture=mixture, fastproximity=fastproximity)
    if separate or len(sessions) == 1:
        groups = {s: ({s: ch}, {s: masks[s]}) for s, ch in sessions.items()}
    else:
        groups = {"all": (sessions, masks)}
    results = {}
    fits: dict[str, SCRFit] = {}
    for name, (chs, ms) in groups.items():
        fit = fit_scr(chs if len(chs) > 1 else next(iter(chs.values())), ms if len(chs) > 1 else next(iter(ms.values())),
                      **kwargs)
        fits[name] = fit
        out = fit.to_dict()
        out["N_mask"] = {}
        for ses in fit.sessions:
            whole = region_n(fit, np.ones(len(ses.prep.mask), bool), ses.name)
            out["N_mask"][ses.name] = {k: whole[k] for k in ("area_ha", "E.N", "E.N.SE", "E.N.lcl", "E.N.ucl", "R.N", "R.N.SE")}
        results[name] = out
    if secr_script is not None:
        if len(fits) > 1:
            raise PopulationError("--secr-script writes one fit: leave out --separate")
        results[next(iter(results))]["secr_script"] = [str(p) for p in write_secr_script(secr_script, next(iter(fits.values())))]
    if compare:
        if len(fits) > 1:
            raise PopulationError("--compare ranks models of one fit: leave out --separate")
        (name, (chs, ms)), = groups.items()
        base = next(iter(fits.values()))
        table = {f"{base.detectfn}{' h2' if mixture else ''}": base}
        for fn in ("HN", "HHN", "EX"):
            for mix in (None, "h2") if covariate is None else (None,):
                key = f"{fn}{' h2' if mix else ''}"
                if key in table:
                    continue
                try:
                    table[key] = fit_scr(chs if len(chs) > 1 else next(iter(chs.values())),
                                         ms if len(ms) > 1 else next(iter(ms.values())),
                                         **{**kwargs, "detectfn": fn, "mixture": mix})
                except PopulationError as exc:
                    results[name].setdefault("compare_failed", {})[key] = str(exc)
        results[name]["aic_table"] = aic_table(table).to_dict(orient="records")
    return results


def density_from_routes(
    engine, census: str, detections: str | Path, crs: str, detector: str = "transect", buffer: float = 100.0,
    nx: int = 64, detectfn: str | int | None = None, likelihood: str = "full", distribution: str = "poisson",
    mask: str | Path | None = None, tolerance: float = 0.01,
) -> dict:
    """SCR density from a winter census kept in the store, its routes as transect detectors (survey days as
    occasions), and identified detections along them (CSV: animal, date, x, y in `crs`, or longitude, latitude)."""
    import pandas as pd

    from bigcats.population.polygon import census_routes_from_store, route_capthist

    if not crs:
        raise PopulationError("routes as transects need --crs (a projected CRS in metres, e.g. EPSG:32652)")
    path = Path(detections)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise PopulationError(f"{path}: cannot read the detections: {exc}") from None
    if "animal" not in frame.columns and "individualID" in frame.columns:
        frame = frame.rename(columns={"individualID": "animal"})
    if not {"x", "y"} <= set(frame.columns) and {"longitude", "latitude"} <= set(frame.columns):
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
            pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(), pd.to_numeric(frame["latitude"], errors="coerce").to_numpy())
        frame = frame.assign(x=x, y=y)
    ch = route_capthist(frame, census_routes_from_store(engine, census), crs, detector, tolerance, str(path))
    m = read_mask(mask) if mask else make_polygon_mask(ch.geometry, ch.detector, buffer, nx=nx)
    fit = fit_scr(ch, m, detectfn=detectfn, likelihood=likelihood, distribution=distribution)
    out = fit.to_dict()
    out["census"] = census
    out["occasions"] = int(ch.noccasions)
    return out
