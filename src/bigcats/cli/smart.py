"""`bigcats smart OBSERVATIONS --patrols SUMMARY --partner P`: SMART patrol exports into incidental records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.common import DbOption, JsonOption, emit


def smart(
    observations: Annotated[Path, typer.Argument(help="SMART patrol observation query export (CSV/XLSX).")],
    partner: Annotated[str, typer.Option("--partner", help="Partner code (whose patrols these are).")],
    utc_offset: Annotated[str, typer.Option("--utc-offset", help="Clock offset of the waypoints: +10:00, 480.")],
    patrols: Annotated[Path | None, typer.Option("--patrols", help="SMART patrol summary query export (effort: "
                                                 "distance, hours).")] = None,
    label_map: Annotated[Path | None, typer.Option("--label-map", help="CSV: label,scientificName[,partner] for "
                                                   "SMART categories.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read SMART patrols and observations (animals, signs, threats such as snares) into the store."""
    from bigcats.intake.smart import read_smart, store_smart
    from bigcats.intake.timezones import parse_utc_offset
    from bigcats.store.db import open_store
    from bigcats.taxonomy import read_label_map

    p, r = read_smart(observations, patrols, partner, parse_utc_offset(utc_offset),
                      read_label_map(label_map) if label_map else None)
    added = store_smart(open_store(db), p, r, partner, str(observations))
    result = {"patrols": len(p), "records": len(r), "threats": int(r["threat"].sum()),
              "km": float(p["distance_km"].sum(min_count=1)) if len(p) else None, "added": added}
    km = "distance unknown" if result["km"] is None or result["km"] != result["km"] else f"{result['km']:.1f} km"
    emit(result, as_json, human=f"{len(p)} patrols ({km}), {len(r)} records "
                                f"({result['threats']} threats); added {added}")
