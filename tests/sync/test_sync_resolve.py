"""Settling conflicts: keep this node's row or take the owner's, recorded with who and why; then updates flow."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bigcats.cli import app
from bigcats.exchange.sync import Grant, SyncError, export_changes, receive
from bigcats.exchange.sync.resolve import resolve
from bigcats.exchange.sync.state import conflicts
from bigcats.store.models import Observation
from bigcats.store.models_sync import SyncConflict

GRANT = [Grant("INBO", exact_locations=True)]


def _seq(pkg) -> int:
    return json.loads((pkg / "manifest.json").read_text())["to_seq"]


def _count(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Observation.count).where(Observation.source_id == key)).scalar_one()


def _conflict(ru, cn, tmp_path, key: str, here: int, theirs: int, tag: str) -> tuple[dict, int]:
    with ru.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.source_id == key).values(count=theirs))
    with cn.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.source_id == key).values(count=here))
    p = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / tag, key_dir=ru.keys)
    receive(cn.engine, p, peer="RU")
    (c,) = [c for c in conflicts(cn.engine, "RU") if c["row_key"] == key]
    return c, _seq(p)


def test_take_incoming_and_keep_local_are_recorded_and_later_updates_apply(nodes, tmp_path):
    ru, cn = nodes
    p1 = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys)
    receive(cn.engine, p1, peer="RU")
    with cn.engine.connect() as conn:
        a, b = conn.execute(select(Observation.source_id).where(Observation.species_id.is_not(None))
                            .order_by(Observation.id).limit(2)).scalars().all()
    c, _ = _conflict(ru, cn, tmp_path, a, here=5, theirs=43, tag="p2")
    with pytest.raises(SyncError, match="who settles it and why"):
        resolve(cn.engine, c["id"], "take-incoming", "", "")
    done = resolve(cn.engine, c["id"], "take-incoming", "Li Wei", "the owner re-counted on the photo")
    assert done["status"] == "resolved" and _count(cn.engine, a) == 43
    with pytest.raises(SyncError, match="settled already"):
        resolve(cn.engine, c["id"], "keep-local", "someone", "again")
    with cn.engine.connect() as conn:
        rec = conn.execute(select(SyncConflict).where(SyncConflict.id == c["id"])).mappings().one()
    assert (rec["resolved_by"], rec["resolution"], rec["resolution_note"]) == (
        "Li Wei", "take-incoming", "the owner re-counted on the photo") and rec["resolved_at"] is not None
    # The owner's next update of that row now applies without a conflict (its base is the taken row).
    since = _seq(export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p3", key_dir=ru.keys))
    with ru.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.source_id == a).values(count=44))
    p4 = export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p4", key_dir=ru.keys)
    r4 = receive(cn.engine, p4, peer="RU")
    assert r4["conflicts"] == 0 and _count(cn.engine, a) == 44, (since, r4)
    # Keeping the local row through the CLI.
    c2, _ = _conflict(ru, cn, tmp_path, b, here=7, theirs=70, tag="p5")
    db = str(cn.engine.url)
    out = CliRunner().invoke(app, ["exchange", "resolve", str(c2["id"]), "--take", "keep-local", "--who", "Olga",
                                   "--why", "our ranger checked the site", "--db", db, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["resolution"] == "keep-local" and _count(cn.engine, b) == 7
    bad = CliRunner().invoke(app, ["exchange", "resolve", "999999", "--take", "keep-local", "--who", "x",
                                   "--why", "y", "--db", db])
    assert bad.exit_code == 1 and "no such conflict" in bad.output


def test_owners_updates_of_stations_deployments_and_individuals_apply_like_observations(nodes, tmp_path):
    from bigcats.store.models import Deployment, Individual, IndividualAlias, Partner, Station

    ru, cn = nodes
    with ru.engine.begin() as conn:  # an individual of the owner, so that the individuals resource travels
        sp, dep_id = conn.execute(select(Observation.species_id, Observation.deployment_id)
                                  .where(Observation.species_id.is_not(None)).limit(1)).one()
        pid = conn.execute(select(Partner.id).where(Partner.code == "INBO")).scalar_one()
        ind = conn.execute(Individual.__table__.insert().values(species_id=sp, code="CAT-1", name="Old")
                           ).inserted_primary_key[0]
        conn.execute(IndividualAlias.__table__.insert().values(individual_id=ind, partner_id=pid, species_id=sp,
                                                               code="F1"))
        conn.execute(update(Observation).where(Observation.species_id == sp).values(individual_id=ind))
    receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys),
            peer="RU")
    with ru.engine.begin() as conn:  # the owner moves a station, raises a camera, renames the cat
        dep, station = conn.execute(select(Deployment.source_id, Deployment.station_id)
                                    .where(Deployment.id == dep_id)).one()
        conn.execute(update(Station).where(Station.id == station).values(latitude=51.5, longitude=4.25,
                                                                         name="moved"))
        conn.execute(update(Deployment).where(Deployment.id == dep_id).values(camera_height=1.75))
        conn.execute(update(Individual).where(Individual.id == ind).values(name="New", sex="female"))
    r = receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p2",
                                          key_dir=ru.keys), peer="RU")
    assert r["conflicts"] == 0 and r["updated"] >= 2, r
    with cn.engine.connect() as conn:
        got = conn.execute(select(Station.latitude, Station.longitude, Station.name, Deployment.camera_height)
                           .join(Deployment, Deployment.station_id == Station.id)
                           .where(Deployment.source_id == dep)).one()
        cat = conn.execute(select(Individual.name, Individual.sex).join(
            IndividualAlias, IndividualAlias.individual_id == Individual.id).where(IndividualAlias.code == "F1")).one()
    assert tuple(got) == (51.5, 4.25, "moved", 1.75) and tuple(cat) == ("New", "female")
    # Changed on both sides: the receiver keeps its station and lists the conflict.
    with cn.engine.begin() as conn:
        conn.execute(update(Deployment).where(Deployment.source_id == dep).values(camera_height=0.5))
    with ru.engine.begin() as conn:
        conn.execute(update(Deployment).where(Deployment.id == dep_id).values(camera_height=2.0))
    r3 = receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p3",
                                           key_dir=ru.keys), peer="RU")
    assert r3["conflicts"] == 1
    with cn.engine.connect() as conn:
        assert conn.execute(select(Deployment.camera_height).where(Deployment.source_id == dep)).scalar_one() == 0.5


def test_merges_and_their_undo_travel_with_the_owners_data(nodes, tmp_path):
    from bigcats.identify import catalogue
    from bigcats.store.models import Individual, IndividualAlias, Partner

    ru, cn = nodes
    with ru.engine.begin() as conn:  # two individuals of the owner, each on some observations
        pid = conn.execute(select(Partner.id).where(Partner.code == "INBO")).scalar_one()
        obs = conn.execute(select(Observation.id, Observation.species_id).where(Observation.species_id.is_not(None))
                           .order_by(Observation.id).limit(4)).all()
        sp = obs[0].species_id
        ids = []
        for n in (1, 2):
            ind = conn.execute(Individual.__table__.insert().values(species_id=sp, code=f"CAT-{n}", status="active")
                               ).inserted_primary_key[0]
            conn.execute(IndividualAlias.__table__.insert().values(individual_id=ind, partner_id=pid, species_id=sp,
                                                                   code=f"F{n}"))
            ids.append(ind)
        for (oid, _), ind in zip(obs, [ids[0], ids[0], ids[1], ids[1]], strict=True):
            conn.execute(update(Observation).where(Observation.id == oid).values(species_id=sp, individual_id=ind))
    receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p1", key_dir=ru.keys),
            peer="RU")

    def status_here() -> dict:
        with cn.engine.connect() as conn:
            return dict(conn.execute(select(IndividualAlias.code, Individual.status).join(
                Individual, Individual.id == IndividualAlias.individual_id)
                .where(IndividualAlias.code.in_(["F1", "F2"]))).all())

    assert status_here() == {"F1": "active", "F2": "active"}
    merged = catalogue.merge(ru.engine, ids[0], ids[1], who="Anna", note="same stripes on the left flank")
    r = receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p2", key_dir=ru.keys),
                peer="RU")
    assert r["decisions"] >= 1 and r["conflicts"] == 0, r
    with cn.engine.connect() as conn:
        here = conn.execute(select(IndividualAlias.individual_id).where(IndividualAlias.code.in_(["F1", "F2"]))
                            ).scalars().all()
        log = conn.execute(select(catalogue.CatalogueDecision.who, catalogue.CatalogueDecision.action,
                                  catalogue.CatalogueDecision.note)
                           .where(catalogue.CatalogueDecision.action == "merge")).all()
    assert len(set(here)) == 1  # both of the owner's codes are one animal here too
    assert [tuple(x) for x in log] == [("Anna", "merge", "same stripes on the left flank")]
    catalogue.undo(ru.engine, merged["decision"], who="Anna", note="the right flanks differ")
    r = receive(cn.engine, export_changes(ru.engine, "CN", agreement=GRANT, out=tmp_path / "p3", key_dir=ru.keys),
                peer="RU")
    with cn.engine.connect() as conn:
        here = conn.execute(select(IndividualAlias.individual_id).where(IndividualAlias.code.in_(["F1", "F2"]))
                            ).scalars().all()
    assert len(set(here)) == 2 and status_here() == {"F1": "active", "F2": "active"}, r
