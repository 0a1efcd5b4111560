"""Content hashes: SHA-256 of bytes, of files (streamed, bounded memory) and of JSON values (canonical form)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks so a video of gigabytes stays out of memory."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    """Hex SHA-256 of a JSON value in canonical form (sorted keys), so equal rows hash equal on every server."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def hash_ids(values) -> "np.ndarray":
    """64-bit hashes of identifiers (a pandas Series), the one rule for unique and foreign-key checks: 8 bytes a
    row instead of the strings; collisions are negligible below billions of rows."""
    import numpy as np
    import pandas as pd

    return pd.util.hash_array(np.asarray(values.to_numpy(dtype=object), dtype=object), categorize=False)
