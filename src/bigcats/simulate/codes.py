"""Each partner's own names: station codes, camera serials and individual catalogue codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.simulate.config import Partner


def numbered(prefix: str, numbers: np.ndarray, digits: int) -> pd.Series:
    """Codes like 'LL-017': prefix plus zero-padded numbers."""
    return prefix + pd.Series(np.asarray(numbers), dtype="int64").astype(str).str.zfill(digits)


def station_codes(rng: np.random.Generator, stations: pd.DataFrame, partner: Partner) -> pd.Series:
    """Station codes of one partner's stations, numbered north to south with the gaps of retired sites."""
    order = np.lexsort((stations["longitude"].to_numpy(), -stations["latitude"].to_numpy()))
    numbers = np.cumsum(1 + rng.integers(0, 3, len(stations)))
    codes = np.empty(len(stations), dtype=object)
    codes[order] = numbered(partner.station_prefix, numbers, partner.station_digits).to_numpy()
    return pd.Series(codes, index=stations.index, dtype="str")


def individual_codes(rng: np.random.Generator, partner: Partner, key: str, first_seen: pd.DataFrame) -> pd.Series:
    """Catalogue codes for the individuals a partner identified, numbered in order of first sighting.

    `first_seen` has columns trueID, sex ('male'/'female') and first (time of the first identified photo);
    numbering starts after the partner's earlier catalogue, so codes do not start at 1.
    """
    ordered = first_seen.sort_values(["first", "trueID"], kind="stable")
    numbers = int(rng.integers(1, 25)) + np.arange(len(ordered))
    sex = ordered["sex"].map({"male": "M", "female": "F"}).fillna("U").to_numpy()
    fmt = partner.individual_format(key)
    # str.format has no vectorised form; these catalogues have tens of entries, not records.
    codes = [fmt.format(n=int(n), sex=s) for n, s in zip(numbers, sex, strict=True)]
    return pd.Series(codes, index=ordered["trueID"].to_numpy(), dtype="str")
