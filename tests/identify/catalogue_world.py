"""A small store for the catalogue tests: two partners, one tiger catalogued by each, photos with observations."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bigcats.store.db import open_store
from bigcats.store.models import (Deployment, Individual, IndividualAlias, Media, Observation, Partner, Project,
                                  Species, Station)

TIGER = "Panthera tigris altaica"
T0 = datetime(2024, 3, 1, 6, 0)


def _world(url: str, photos: int = 6):
    """Two partners, one station each, one tiger photo per observation; RUS has catalogued T1 (photos 0-1)."""
    engine = open_store(url)
    with engine.begin() as conn:
        sid = conn.execute(select(Species.id).where(Species.scientific_name == TIGER)).scalar_one()
        obs = {}
        for p, (code, country) in enumerate((("RUS", "RUS"), ("CHN", "CHN"))):
            pid = conn.execute(Partner.__table__.insert().values(code=code, name=code, country=country)).inserted_primary_key[0]
            prj = conn.execute(Project.__table__.insert().values(partner_id=pid, code=f"{code}-2024")).inserted_primary_key[0]
            st = conn.execute(Station.__table__.insert().values(partner_id=pid, code=f"{code}01", latitude=43.0 + p,
                                                                 longitude=131.0, country=country)).inserted_primary_key[0]
            dep = conn.execute(Deployment.__table__.insert().values(
                project_id=prj, station_id=st, source_id=f"{code}-d1", start_utc=T0, end_utc=T0 + timedelta(days=60),
                utc_offset=600)).inserted_primary_key[0]
            for i in range(photos):
                m = conn.execute(Media.__table__.insert().values(
                    deployment_id=dep, source_id=f"{code}-m{i}", timestamp_utc=T0 + timedelta(days=i),
                    file_path=f"/photos/{code}/{i}.jpg", file_mediatype="image/jpeg")).inserted_primary_key[0]
                obs[(code, i)] = conn.execute(Observation.__table__.insert().values(
                    deployment_id=dep, media_id=m, source_id=f"{code}-o{i}", event_start_utc=T0 + timedelta(days=i),
                    event_end_utc=T0 + timedelta(days=i), level="media", type="animal", species_id=sid, count=1)
                ).inserted_primary_key[0]
            ind = conn.execute(Individual.__table__.insert().values(species_id=sid, code=f"{code}:T1", status="active")
                               ).inserted_primary_key[0]
            conn.execute(IndividualAlias.__table__.insert().values(individual_id=ind, partner_id=pid, species_id=sid,
                                                                   code="T1"))
            conn.execute(Observation.__table__.update().where(Observation.id.in_([obs[(code, 0)], obs[(code, 1)]]))
                         .values(individual_id=ind))
    return engine, obs
