"""Offline base detail for the map: rivers and lakes of the programme's regions, shipped with bigcats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from webworld import client_for

STATIC = Path(__file__).resolve().parents[2] / "src" / "bigcats" / "web" / "static"


def _coords(geometry) -> np.ndarray:
    return np.array(re.findall(r"-?\d+\.\d+", json.dumps(geometry["coordinates"])), dtype=float).reshape(-1, 2)


def test_rivers_and_lakes_are_served_from_the_package(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)
    r = client.get("/api/basemap/water.geojson")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    names = {(f["properties"]["kind"], f["properties"]["name"]): f for f in features}
    assert ("river", "Amur") in names and ("lake", "Khanka") in names and ("river", "Selenga") in names
    assert names[("river", "Amur")]["properties"]["ru"] == "Амур" and names[("lake", "Khanka")]["properties"]["zh"]
    # Clipped to the programme's regions, nothing outside 80-145 E, 35-60 N.
    xy = np.vstack([_coords(f["geometry"]) for f in features])
    assert (xy[:, 0] >= 80).all() and (xy[:, 0] <= 145).all() and (xy[:, 1] >= 35).all() and (xy[:, 1] <= 60).all()
    # The Amur runs along the Russia-China border past Khabarovsk (48.5 N, 135 E).
    amur = np.vstack([_coords(f["geometry"]) for f in features if f["properties"]["name"] == "Amur"])
    assert np.min(np.hypot(amur[:, 0] - 135.0, amur[:, 1] - 48.5)) < 0.5


def test_map_has_the_water_layer_in_control_and_legend(sqlite_world):
    db_url, _ = sqlite_world
    client = client_for(db_url)
    js = (STATIC / "map.js").read_text(encoding="utf-8")
    assert "/api/basemap/water.geojson" in js and "[t.water]: water" in js and 'row("water", t.water)' in js
    # Nothing of the map's base comes from the network: no tile server, only the app's own routes.
    assert not re.search(r"https?://", js)
    for lang, words in (("en", "Rivers and lakes"), ("ru", "Реки и озёра"), ("zh", "河流与湖泊"), ("mn", "Гол мөрөн ба нуур")):
        page = client.get("/map", params={"lang": lang}).text
        assert json.loads(re.search(r'id="i18n">(.*?)</script>', page, re.S).group(1))["water"] == words
