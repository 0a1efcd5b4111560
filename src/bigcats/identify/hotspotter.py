"""Animal boxes and names from a HotSpotter database (`_hsdb/chip_table.csv`, `image_table.csv`, `name_table.csv`).

HotSpotter, the snow-leopard and tiger matcher many field teams used, keeps each annotated part of an animal
("chip": body, tail, shoulder) as a box in `chip_table.csv`. The animal's box in a photo is the union of its
chips; `read_hsdb` gives one row per photo (image, x, y, w, h, chips, name) for `labels.csv`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from bigcats.identify.errors import IdentifyError

_CHIP = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*,\s*(-?\d+)\s*,\s*\[\s*(-?\d+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s*\]\s*,")


def _rows(path: Path) -> list[list[str]]:
    """Data lines of a HotSpotter table (comments start with '#'; merge-conflict debris is skipped)."""
    if not path.is_file():
        raise IdentifyError(f"{path}: missing HotSpotter table")
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "<<<<<<<", "=======", ">>>>>>>")):
            continue
        out.append(line)
    return out


def read_hsdb(hsdb: str | Path) -> pd.DataFrame:
    """One row per photo with chips: image, x, y, w, h (union of its chips, pixels), chips, name."""
    hsdb = Path(hsdb)
    images: dict[int, str] = {}
    for line in _rows(hsdb / "image_table.csv"):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and parts[0].isdigit():
            images[int(parts[0])] = parts[1]
    names: dict[int, str] = {}
    if (hsdb / "name_table.csv").is_file():
        for line in _rows(hsdb / "name_table.csv"):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) >= 2 and parts[0].lstrip("-").isdigit():
                names[int(parts[0])] = parts[1]
    chips = []
    for n, line in enumerate(_rows(hsdb / "chip_table.csv"), start=1):
        m = _CHIP.match(line)
        if not m:
            raise IdentifyError(f"{hsdb / 'chip_table.csv'}, data line {n}: not 'ChipID, ImgID, NameID, [x y w h], theta': {line[:80]!r}")
        _, gid, nid, x, y, w, h = (int(v) for v in m.groups())
        if int(gid) not in images:
            raise IdentifyError(f"{hsdb / 'chip_table.csv'}, data line {n}: image id {gid} is not in image_table.csv")
        if w <= 0 or h <= 0:
            continue  # an empty chip marks nothing
        chips.append((images[gid], x, y, x + w, y + h, names.get(nid, str(nid))))
    if not chips:
        return pd.DataFrame(columns=["image", "x", "y", "w", "h", "chips", "name"])
    c = pd.DataFrame(chips, columns=["image", "x0", "y0", "x1", "y1", "name"]).drop_duplicates()
    g = c.groupby("image", sort=True)
    out = pd.DataFrame({"x": g["x0"].min(), "y": g["y0"].min(), "x1": g["x1"].max(), "y1": g["y1"].max(),
                        "chips": g.size(), "name": g["name"].agg(lambda s: ";".join(sorted(set(s))))}).reset_index()
    out["x"] = out["x"].clip(lower=0)
    out["y"] = out["y"].clip(lower=0)
    out["w"] = out.pop("x1") - out["x"]
    out["h"] = out.pop("y1") - out["y"]
    return out[["image", "x", "y", "w", "h", "chips", "name"]]
