"""The camera side of a simulated survey, shared by every species: deployments, failures and working time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CameraTime:
    """Deployments as arrays (local clock seconds since 1 January) plus their working intervals."""

    station: np.ndarray  # station row of each deployment
    start_s: np.ndarray
    end_s: np.ndarray
    out_start_s: np.ndarray  # failure period per deployment; -1 where the camera never failed
    out_end_s: np.ndarray
    work_dep: np.ndarray  # working intervals: deployment row, start, end
    work_start_s: np.ndarray
    work_end_s: np.ndarray
    year_days: int

    @property
    def n(self) -> int:
        """Number of deployments."""
        return len(self.station)
