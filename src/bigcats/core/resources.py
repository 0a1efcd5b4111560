"""Data shipped inside the package, found through importlib.resources so an installed wheel finds it too."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """The path of a file shipped under `bigcats/data/` (e.g. data_path('naturalearth', 'x.geojson'))."""
    ref = resources.files("bigcats").joinpath("data", *parts)
    path = Path(str(ref))
    if not path.exists():  # a broken install, not a user error: say which file is missing
        raise FileNotFoundError(f"bigcats is installed without its data file {'/'.join(parts)}; reinstall bigcats")
    return path
