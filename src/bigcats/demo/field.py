"""The demo's field season on phones: each side's census teams send their track-census routes as form
submissions (the Russian side through ODK Central, as a CSV export; the Chinese side through KoboToolbox, as a
JSON export), rangers log snares and big-cat signs with the incidental-sign form, and bigcats ingests both
exports; the census then starts from the stored submissions."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bigcats.fieldforms.central import write_central_export
from bigcats.fieldforms.definitions import INCIDENTAL_SIGN, TRACK_CENSUS, choice_name
from bigcats.fieldforms.store import census_inputs, ingest_forms
from bigcats.geo.crs import WGS84


def _iid(rng: np.random.Generator) -> str:
    return f"uuid:{uuid.UUID(bytes=rng.bytes(16), version=4)}"


def census_submissions(sim: dict, rng: np.random.Generator) -> dict[str, list[dict]]:
    """One track-census submission per route and survey date, per country side (crossings as the repeat)."""
    routes = sim["routes"].to_crs(WGS84).set_index("route_id")
    out: dict[str, list[dict]] = {}
    crossings = sim["crossings"]
    for s in sim["surveys"].itertuples(index=False):
        line = routes.loc[s.route_id].geometry
        track = ";".join(f"{lat:.8f} {lon:.8f} 0 5" for lon, lat in line.coords)
        rows = []
        for c in crossings[(crossings["route_id"] == s.route_id) & (crossings["date"] == s.date)].itertuples():
            row = {"crossing_species": choice_name(c.species), "crossing_count": str(int(c.count)),
                   "snow_age_days": f"{c.track_age_days:g}"}
            if pd.notna(getattr(c, "pad_width_cm", np.nan)):
                row["pad_width_cm"] = f"{c.pad_width_cm:g}"
            if isinstance(getattr(c, "direction", None), str):
                row["direction"] = c.direction
            if pd.notna(getattr(c, "latitude", np.nan)):
                row["crossing_point"] = f"{c.latitude:.6f} {c.longitude:.6f} 0 5"
            rows.append(row)
        out.setdefault(s.country, []).append({
            "instanceID": _iid(rng), "SubmissionDate": f"{s.date}T18:00:00.000Z", "route_id": s.route_id,
            "unit": s.unit, "country": s.country, "survey_date": s.date, "days_since_snow": f"{s.days_since_snow:g}",
            "track": track, "crossing": rows})
    return out


def sign_submissions(truth, rng: np.random.Generator, per_side: int = 6) -> dict[str, list[dict]]:
    """Incidental signs near the cameras: snares and tiger scrapes, per side, in the census month."""
    st = truth.stations
    out: dict[str, list[dict]] = {}
    for side, group in st.groupby("country"):
        pick = group.sample(n=min(per_side, len(group)), random_state=int(rng.integers(1 << 31)))
        offset = "+10:00" if side == "RUS" else "+08:00"
        for k, row in enumerate(pick.itertuples()):
            lon, lat = float(row.longitude), float(row.latitude)
            kind = "snare" if k % 3 == 0 else "scrape"
            sub = {"instanceID": _iid(rng), "SubmissionDate": "2025-02-10T09:00:00.000Z",
                   "sign_time": f"2025-01-{10 + k:02d}T1{k % 8}:00:00.000{offset}",
                   "sign_location": f"{lat + rng.normal(0, 0.005):.6f} {lon + rng.normal(0, 0.005):.6f} 300 8",
                   "sign_kind": kind, "sign_count": "1"}
            if kind == "scrape":
                sub["sign_species"] = choice_name("Panthera tigris altaica")
            out.setdefault(side, []).append(sub)
    return out


def _kobo_json(path: Path, form_id: str, subs: list[dict]) -> Path:
    """KoboToolbox's JSON export: flat keys with group paths, repeats as lists, _uuid and _xform_id_string."""
    results = []
    for s in subs:
        rec = {k: v for k, v in s.items() if k not in ("instanceID", "SubmissionDate", "crossing")}
        rec.update({"_uuid": s["instanceID"].removeprefix("uuid:"), "meta/instanceID": s["instanceID"],
                    "_xform_id_string": form_id, "_submission_time": s["SubmissionDate"].rstrip("Z")})
        if "crossing" in s:
            rec["crossing"] = [{f"crossing/{k}": v for k, v in row.items()} for row in s["crossing"]]
        results.append(rec)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"count": len(results), "results": results}, ensure_ascii=False), encoding="utf-8")
    return path


def run_field_season(engine: Engine, sim: dict, truth, partners: dict[str, str], out: Path, seed: int = 1) -> dict:
    """Write each side's exports, ingest them (twice: the second adds nothing), and the census inputs from them."""
    rng = np.random.default_rng([seed, 19])
    census = census_submissions(sim, rng)
    signs = sign_submissions(truth, rng)
    exports, ingested = {}, {}
    for side in sorted(set(census) | set(signs)):
        partner = partners[side]
        if side == "RUS":
            folder = out / "exports" / f"{partner}-central"
            write_central_export(folder, TRACK_CENSUS, census.get(side, []))
            write_central_export(folder, INCIDENTAL_SIGN, signs.get(side, []))
            paths = [write_central_export(folder, INCIDENTAL_SIGN, signs.get(side, []), zip_name=f"{partner}-central.zip")]
        else:
            paths = [_kobo_json(out / "exports" / f"{partner}-kobo-census.json", TRACK_CENSUS, census.get(side, [])),
                     _kobo_json(out / "exports" / f"{partner}-kobo-signs.json", INCIDENTAL_SIGN, signs.get(side, []))]
        for path in paths:
            result = ingest_forms(engine, path, partner, country=side)
            again = ingest_forms(engine, path, partner, country=side)
            ingested[str(path)] = {"new": result.new, "again_new": again.new, "added": result.added}
            exports.setdefault(side, []).append(str(path))
    summary = census_inputs(engine, out / "from_forms", partners=sorted(partners.values()))
    return {"exports": exports, "ingested": ingested, "census": summary,
            "submissions": {side: len(v) for side, v in census.items()},
            "signs": {side: len(v) for side, v in signs.items()},
            "paths": {"routes_geojson": out / "from_forms" / "routes.geojson",
                      "surveys": out / "from_forms" / "surveys.csv",
                      "crossings": out / "from_forms" / "crossings.csv"}}
