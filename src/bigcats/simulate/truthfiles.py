"""Keep a simulation's truth beside the demo: one JSON document and CSV tables in a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import shapely

if TYPE_CHECKING:
    from bigcats.simulate.survey import Truth


def truth_dict(truth: Truth) -> dict:
    """The scalar truth as plain JSON-ready values: per cat N, density, area, g0, sigma; rhythms; design."""
    cfg = truth.config
    return {
        "seed": truth.seed,
        "crs": truth.crs,
        "cats": {name: cat.to_dict() for name, cat in truth.cats.items()},
        "rhythms": {name: r.to_dict() for name, r in truth.rhythms.items()},
        "design": {"n_stations": cfg.n_stations, "spacing_km": cfg.spacing_km, "year": cfg.year,
                   "bbox": list(cfg.bbox), "centre": list(cfg.centre),
                   "stations_per_country": {str(k): int(v) for k, v in
                                            truth.stations["country"].value_counts().sort_index().items()},
                   "failures": int(len(truth.failures))},
    }


def save_truth(truth: Truth, folder: str | Path) -> list[Path]:
    """Write truth.json, the truth tables as CSV and each cat's state-space (WKT, projected CRS) to `folder`."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    doc = truth_dict(truth)
    doc["state_space_wkt"] = {name: shapely.to_wkt(cat.state_space, rounding_precision=1)
                              for name, cat in truth.cats.items()}
    written = [out / "truth.json"]
    written[0].write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    tables = {
        "truth-stations.csv": truth.stations,
        "truth-centres.csv": pd.concat([c.centres for c in truth.cats.values()], ignore_index=True),
        "truth-codes.csv": truth.codes,
        "truth-occupancy.csv": truth.occupancy,
        "truth-failures.csv": truth.failures,
        "truth-events.csv": truth.events,
        "truth-expected.csv": truth.expected,
    }
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False)
        written.append(out / name)
    return written
