"""The per-occasion detection term shared by every hazard-based SCR likelihood (point and polygon detectors).

With H the total hazard of an animal at a mask point on an occasion, the occasion contributes log(1 - exp(-H))
when the animal was caught and -H when not. Written as log(1 - exp(-H)) - log(H) it stays finite as H -> 0,
where its value is -H/2 to first order.
"""

from __future__ import annotations

import numpy as np

SMALL = 1e-8  # below this total hazard the first-order expansion is exact to double precision


def caught_terms(big_h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log(1 - exp(-H)) - log(H), elementwise and stable for small H; also where H is small, and H with those set to 1
    (what the derivative, 1/expm1(H) - 1/H, needs)."""
    small = big_h < SMALL
    hs = np.where(small, 1.0, big_h)
    term = np.where(small, -0.5 * big_h, np.log(-np.expm1(-hs)) - np.log(hs))
    return term, small, hs
