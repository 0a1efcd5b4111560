"""Helpers shared by the API routes: frames to JSON records and GeoJSON."""

from __future__ import annotations

import json

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready records: internal columns dropped, times in ISO 8601, missing values as null."""
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    return json.loads(frame[cols].to_json(orient="records", date_format="iso", force_ascii=False))


def geojson(frame: pd.DataFrame) -> dict:
    """Points of a frame with latitude/longitude as a GeoJSON FeatureCollection."""
    props = records(frame.drop(columns=["latitude", "longitude"]))
    lon = frame["longitude"].astype(float).tolist()
    lat = frame["latitude"].astype(float).tolist()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": p}
        for x, y, p in zip(lon, lat, props)]}
