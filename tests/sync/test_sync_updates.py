"""Owners' updates apply over an unchanged copy, edits on both sides conflict; catalogue decisions travel."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from bigcats.exchange.sync import Grant, export_changes, receive
from bigcats.exchange.sync.state import conflicts
from bigcats.identify import catalogue
from bigcats.store.models import Deployment, Individual, IndividualAlias, Media, Observation, Partner, Station
from bigcats.store.models_identify import CatalogueDecision, IdentificationProposal

GRANT = [Grant("INBO", exact_locations=True)]


def _seq(pkg) -> int:
    return json.loads((pkg / "manifest.json").read_text())["to_seq"]


def _obs(engine, source_id: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(Observation.id, Observation.count, Observation.individual_id)
                                 .where(Observation.source_id == source_id)).mappings().one())


def _animals(engine, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(Observation.source_id).where(Observation.species_id.is_not(None))
                                 .order_by(Observation.id).limit(n)).scalars())


def test_owner_update_applies_and_both_sides_edits_conflict(nodes, tmp_path):
    ru, cn = nodes
    p1 = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys)
    receive(cn.engine, p1, peer="RU")
    key = _animals(ru.engine, 1)[0]
    before = _obs(cn.engine, key)
    with ru.engine.begin() as conn:  # the owner corrects the count
        conn.execute(update(Observation).where(Observation.source_id == key).values(count=42))
    p2 = export_changes(ru.engine, "CN", since=_seq(p1), agreement=GRANT, out=tmp_path / "p2", key_dir=ru.keys)
    r2 = receive(cn.engine, p2, peer="RU")
    assert r2["updated"] == 1 and r2["conflicts"] == 0 and conflicts(cn.engine, "RU") == []
    assert _obs(cn.engine, key)["count"] == 42 != before["count"]
    with cn.engine.connect() as conn:  # replaced in place, not duplicated
        assert conn.execute(select(func.count()).select_from(Observation)
                            .where(Observation.source_id.like(f"{key}%"))).scalar_one() == 1
    # Now both sides change the same row: the receiver keeps its value and lists the conflict.
    with ru.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.source_id == key).values(count=43))
    with cn.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.source_id == key).values(count=5))
    p3 = export_changes(ru.engine, "CN", since=_seq(p2), agreement=GRANT, out=tmp_path / "p3", key_dir=ru.keys)
    r3 = receive(cn.engine, p3, peer="RU")
    assert r3["updated"] == 0 and r3["conflicts"] == 1
    (c,) = conflicts(cn.engine, "RU")
    assert c["row_key"] == key and c["local"]["count"] == "5" and c["incoming"]["count"] == "43"
    assert _obs(cn.engine, key)["count"] == 5


def _individual(engine, key: str, code: str) -> int:
    """A catalogue individual with the owner's (INBO) code, of the species of an observation."""
    with engine.begin() as conn:
        species, partner = conn.execute(select(Observation.species_id, Station.partner_id)
                                        .join(Deployment, Deployment.id == Observation.deployment_id)
                                        .join(Station, Station.id == Deployment.station_id)
                                        .where(Observation.source_id == key)).one()
        ind = conn.execute(Individual.__table__.insert().values(species_id=species, code=f"CAT-{code}",
                                                                name=code)).inserted_primary_key[0]
        conn.execute(IndividualAlias.__table__.insert().values(individual_id=ind, partner_id=partner,
                                                               species_id=species, code=code))
    return ind


def _individual_by_code(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(IndividualAlias.individual_id).join(Partner)
                            .where(Partner.code == "INBO", IndividualAlias.code == code)).scalar_one()


def _decide(engine, key: str, ind: int, decision: str, who: str, note: str) -> dict:
    with engine.begin() as conn:
        obs, species = conn.execute(select(Observation.id, Observation.species_id)
                                    .where(Observation.source_id == key)).one()
        pid = conn.execute(IdentificationProposal.__table__.insert().values(
            observation_id=obs, species_id=species, side="left", individual_id=ind, score=0.9, rank=1,
            status="pending", proposed_at=datetime(2026, 1, 5))).inserted_primary_key[0]
    return catalogue.decide(engine, pid, decision, who=who, note=note,
                            when=datetime(2026, 1, 6, 9, 30, tzinfo=timezone.utc))


def _decisions(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(CatalogueDecision.who, CatalogueDecision.action,
                                                     CatalogueDecision.at, CatalogueDecision.note,
                                                     CatalogueDecision.individual_id)
                                              .order_by(CatalogueDecision.id)).mappings()]


def test_catalogue_decisions_travel_once_and_opposite_decisions_conflict(nodes, tmp_path):
    ru, cn = nodes
    a, b = _animals(ru.engine, 2)
    t1 = _individual(ru.engine, a, "T1")
    _decide(ru.engine, a, t1, "confirm", "anna", "stripes match")
    p1 = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys)
    assert (p1 / "p0" / "catalogue-decisions.csv").exists()
    r1 = receive(cn.engine, p1, peer="RU")
    assert r1["decisions"] == 1
    cn_t1 = _individual_by_code(cn.engine, "T1")
    (d,) = _decisions(cn.engine)
    assert (d["who"], d["action"], d["note"], d["individual_id"]) == ("anna", "confirm", "stripes match", cn_t1)
    assert d["at"] == datetime(2026, 1, 6, 9, 30)
    assert _obs(cn.engine, a)["individual_id"] == cn_t1  # the confirmed identification arrived
    # Received again (an interrupted exchange): recorded once.
    with cn.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sync_exchange WHERE direction = 'in'")
    assert receive(cn.engine, p1, peer="RU")["decisions"] == 0 and len(_decisions(cn.engine)) == 1
    # The owner confirms T1 on photo b while CN rejected T1 on that photo: a conflict; CN's state stays.
    _decide(ru.engine, b, t1, "confirm", "anna", "same tiger")
    _decide(cn.engine, b, cn_t1, "reject", "boris", "other flank pattern")
    p2 = export_changes(ru.engine, "CN", since=_seq(p1), agreement=GRANT, out=tmp_path / "p2", key_dir=ru.keys)
    r2 = receive(cn.engine, p2, peer="RU")
    found = [c for c in conflicts(cn.engine, "RU") if c["kind"] == "identification-decision"]
    assert len(found) == 1 and r2["decisions"] == 1
    assert found[0]["row_key"] == b
    assert found[0]["local"]["action"] == "reject" and found[0]["local"]["who"] == "boris"
    assert found[0]["incoming"]["action"] == "confirm" and found[0]["incoming"]["who"] == "anna"
    assert _obs(cn.engine, b)["individual_id"] is None  # CN's rejection is not overwritten
    assert _obs(ru.engine, b)["individual_id"] == t1


def test_owner_update_of_a_photo_keeps_its_observations_attached(nodes, tmp_path):
    ru, cn = nodes
    p1 = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys)
    receive(cn.engine, p1, peer="RU")
    with cn.engine.connect() as conn:  # a photo with observations (most of the example's are per event)
        media_key, n_obs = conn.execute(select(Media.source_id, func.count(Observation.id))
                                        .join(Observation, Observation.media_id == Media.id)
                                        .group_by(Media.source_id).order_by(Media.source_id).limit(1)).one()
    with ru.engine.begin() as conn:
        conn.execute(update(Media).where(Media.source_id == media_key).values(comments="tiger behind the fox"))
    p2 = export_changes(ru.engine, "CN", since=_seq(p1), agreement=GRANT, out=tmp_path / "p2", key_dir=ru.keys)
    r2 = receive(cn.engine, p2, peer="RU")
    assert r2["updated"] == 1 and r2["conflicts"] == 0
    with cn.engine.connect() as conn:
        rows = conn.execute(select(Media.comments, func.count(Observation.id))
                            .outerjoin(Observation, Observation.media_id == Media.id)
                            .where(Media.source_id.like(f"{media_key}%")).group_by(Media.id, Media.comments)).all()
    assert rows == [("tiger behind the fox", n_obs)]
