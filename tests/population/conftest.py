"""Fixtures of the population tests: secr's captdata and adehabitatHR's wild boar relocations."""

from __future__ import annotations

from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reference"


@pytest.fixture(scope="session")
def secr_dir() -> Path:
    """secr's captdata files."""
    if not (REF / "secr").exists():
        pytest.skip("../shared/data/reference/secr is not present")
    return REF / "secr"


@pytest.fixture(scope="session")
def captdata(secr_dir):
    """captdata as a multi-catch capture history and secr's default mask (buffer 100 m)."""
    from bigcats.population import make_mask, read_capthist

    ch = read_capthist(secr_dir / "capt.txt", secr_dir / "trap.txt", detector="multi")["1"]
    return ch, make_mask(ch.xy, 100)


@pytest.fixture(scope="session")
def captdata_full(captdata):
    """The full-likelihood fit of captdata."""
    from bigcats.population import fit_scr

    return fit_scr(*captdata)


@pytest.fixture(scope="session")
def boar():
    """adehabitatHR's puechabonsp relocations (individualID, x, y)."""
    import pandas as pd

    path = REF / "adehabitatHR" / "puechabonsp_relocs.csv"
    if not path.exists():
        pytest.skip("adehabitatHR reference data not present")
    return pd.read_csv(path).rename(columns={"Name": "individualID"})
