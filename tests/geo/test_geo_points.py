"""Point layers in the GeoPackage: stations, detections and relative abundance with their CRS, read back with
pyogrio/geopandas; sensitive stations generalised. Real data: the Atlantic Forest slice, a puma made sensitive."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from bigcats.analysis.independence import independent_detections
from bigcats.geo.boundaries import write_geopackage
from bigcats.geo.points import survey_point_layers
from bigcats.geo.privacy import generalise
from bigcats.intake import ingest
from bigcats.intake.store import store_intake
from bigcats.store.db import open_store
from bigcats.store.query import load_frames

DATA = Path(__file__).resolve().parents[1] / "data" / "atlantic-forest"


def test_point_layers_open_with_their_crs_and_hide_sensitive_stations(tmp_path):
    folder = tmp_path / "af"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("SOURCE.md"))
    engine = open_store(str(tmp_path / "db.sqlite"))
    store_intake(engine, *ingest(folder, "AF", columns={"deployments": {"crs": {"value": "EPSG:4326"}}}), "AF",
                 folder, fmt="table")
    frames = load_frames(engine)
    layers = survey_point_layers(frames, {"Puma concolor"})
    path = write_geopackage(layers, tmp_path / "points.gpkg")
    names = {name for name, _ in pyogrio.list_layers(path)}
    assert {"stations", "detections", "relative_abundance"} <= names
    for name in ("stations", "detections", "relative_abundance"):
        gdf = gpd.read_file(path, layer=name, engine="pyogrio")
        assert gdf.crs.to_epsg() == 4326 and gdf.geom_type.eq("Point").all()
    st = gpd.read_file(path, layer="stations", engine="pyogrio").set_index("locationID")
    exact = frames.deployments.drop_duplicates("locationID").set_index("locationID")
    puma = set(frames.observations.loc[frames.observations["scientificName"] == "Puma concolor", "locationID"])
    surveys = (DATA / "DATASET_CAMTRAP_SURVEYS_ATLANTICFOREST.csv").read_text(encoding="utf-8-sig").splitlines()
    locations = {line.split(";")[1] for line in surveys[1:]}
    assert puma and len(st) == exact.shape[0] == len(locations) == 24
    hidden = st.index.isin(list(puma))
    assert (st.loc[hidden, "precision"].str.startswith("generalised")).all()
    assert (st.loc[~hidden, "precision"] == "exact").all()
    lon, lat = generalise(exact.loc[st.index[hidden], "longitude"].to_numpy(),
                          exact.loc[st.index[hidden], "latitude"].to_numpy())
    assert np.allclose(st.loc[hidden].geometry.x, lon) and np.allclose(st.loc[hidden].geometry.y, lat)
    assert not np.allclose(st.loc[hidden, "latitude"], exact.loc[st.index[hidden], "latitude"])
    assert np.allclose(st.loc[~hidden].geometry.y, exact.loc[st.index[~hidden], "latitude"])
    # Detections: the independent events, per station and species; no sensitive station exact in any layer.
    det = gpd.read_file(path, layer="detections", engine="pyogrio")
    assert det["events"].sum() == len(independent_detections(frames.observations, "30min"))
    exact_pts = set(zip(exact.loc[list(puma), "longitude"].round(6), exact.loc[list(puma), "latitude"].round(6)))
    for name in ("detections", "relative_abundance"):
        g = gpd.read_file(path, layer=name, engine="pyogrio")
        assert not set(zip(g.geometry.x.round(6), g.geometry.y.round(6))) & exact_pts
    rai = gpd.read_file(path, layer="relative_abundance", engine="pyogrio")
    row = rai.iloc[0]
    assert row["rai_per_100_trap_nights"] == 100 * row["events"] / st.loc[row["locationID"], "trapNights"]
