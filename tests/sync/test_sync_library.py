"""Exchange packages between two nodes without a network: filtering, signatures, order, idempotency, conflicts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update

from bigcats.exchange.sync import Grant, SyncError, export_changes, generate_keys, receive
from bigcats.exchange.sync.changes import snapshot
from bigcats.exchange.sync.state import conflicts
from bigcats.geo.privacy import generalise
from bigcats.store.db import table_counts
from bigcats.store.models import Deployment, Individual, IndividualAlias, Observation, Station

DATA_TABLES = ("station", "deployment", "media", "observation")
EXAMPLE_OBS = "camtrap-dp-example/observations.csv"


def _counts(engine):
    c = table_counts(engine)
    return {t: c[t] for t in DATA_TABLES}


def _stations(engine):
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(Station.code, Station.latitude, Station.longitude)
                                         .order_by(Station.code)).all(), columns=["code", "lat", "lon"])


def test_package_applies_once_with_the_same_rows_and_generalised_stations(nodes, tmp_path):
    ru, cn = nodes
    pkg = export_changes(ru.engine, "CN", agreement=[Grant("INBO")], out=tmp_path / "p1", key_dir=ru.keys)
    first = receive(cn.engine, pkg, peer="RU", node="CN")
    assert first["status"] == "applied" and first["added"]["observation"] == 549
    assert _counts(cn.engine) == _counts(ru.engine)
    again = receive(cn.engine, pkg, peer="RU", node="CN")
    assert again["status"] == "already-applied" and again["added"] == {}
    assert _counts(cn.engine) == _counts(ru.engine)
    exact, seen = _stations(ru.engine), _stations(cn.engine)
    glon, glat = generalise(exact["lon"].to_numpy(), exact["lat"].to_numpy())
    np.testing.assert_allclose(seen["lon"], glon, atol=1e-9)
    np.testing.assert_allclose(seen["lat"], glat, atol=1e-9)
    assert (np.abs(seen["lat"] - exact["lat"]) > 1e-6).any()  # the exact positions did not travel


def test_exact_locations_and_species_follow_the_agreement(nodes, tmp_path, shared_data):
    ru, cn = nodes
    allowed = {"Vulpes vulpes", "Martes foina"}
    pkg = export_changes(ru.engine, "CN", agreement=[Grant("INBO", frozenset(allowed), exact_locations=True)],
                         out=tmp_path / "p", key_dir=ru.keys)
    receive(cn.engine, pkg, peer="RU")
    pd.testing.assert_frame_equal(_stations(cn.engine), _stations(ru.engine))
    src = pd.read_csv(shared_data / EXAMPLE_OBS)
    expected = int((src["scientificName"].isna() | src["scientificName"].isin(allowed)).sum())
    assert _counts(cn.engine)["observation"] == expected
    from bigcats.store.models import Species
    with cn.engine.connect() as conn:
        names = set(conn.execute(select(Species.scientific_name).join(
            Observation, Observation.species_id == Species.id)).scalars())
    assert names == allowed


def test_no_agreement_sends_nothing(nodes, tmp_path):
    ru, cn = nodes
    pkg = export_changes(ru.engine, "CN", out=tmp_path / "p", key_dir=ru.keys)  # no sharing_agreement rows
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["projects"] == []
    receive(cn.engine, pkg, peer="RU")
    assert _counts(cn.engine)["observation"] == 0


def test_tampered_forged_and_unknown_packages_are_refused(nodes, tmp_path):
    ru, cn = nodes
    pkg = export_changes(ru.engine, "CN", agreement=[Grant("INBO")], out=tmp_path / "p", key_dir=ru.keys)
    obs = pkg / "p0" / "observations.csv"
    original = obs.read_bytes()
    obs.write_bytes(original.replace(b"Vulpes vulpes", b"Vulpes lagopus", 1))
    with pytest.raises(SyncError, match="observations.csv was altered"):
        receive(cn.engine, pkg, peer="RU")
    obs.write_bytes(original)
    manifest = pkg / "manifest.json"
    m = json.loads(manifest.read_text())
    m["to_seq"] += 10
    good = manifest.read_bytes()
    manifest.write_text(json.dumps(m, indent=1, sort_keys=True))
    with pytest.raises(SyncError, match="signature does not match"):
        receive(cn.engine, pkg, peer="RU")
    manifest.write_bytes(good)
    # A stranger's node signs a package with the same name: its key is not the one CN trusts.
    generate_keys(tmp_path / "mallory", "RU")
    forged = export_changes(ru.engine, "CN", agreement=[Grant("INBO")], out=tmp_path / "f",
                            key_dir=tmp_path / "mallory")
    with pytest.raises(SyncError, match="signature does not match"):
        receive(cn.engine, forged, peer="RU")
    with pytest.raises(SyncError, match="unknown node 'RU'"):
        receive(ru.engine, pkg)  # RU does not trust itself
    with pytest.raises(SyncError, match="meant for 'CN'"):
        receive(cn.engine, pkg, node="MN")
    assert _counts(cn.engine)["observation"] == 0


def test_change_log_numbers_only_new_or_altered_rows(nodes, tmp_path):
    ru, _ = nodes
    first = snapshot(ru.engine, tmp_path / "s1")
    assert first.recorded == first.to_seq >= 4 + 423 + 549
    assert snapshot(ru.engine, tmp_path / "s2").recorded == 0
    with ru.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.id == 7).values(count=42))
    third = snapshot(ru.engine, tmp_path / "s3")
    assert third.recorded == 1 and third.to_seq == first.to_seq + 1


def test_packages_apply_in_order_only(nodes, tmp_path):
    ru, cn = nodes
    grant = [Grant("INBO")]
    p1 = export_changes(ru.engine, "CN", agreement=grant, out=tmp_path / "p1", key_dir=ru.keys)
    with ru.engine.begin() as conn:
        conn.execute(update(Observation).where(Observation.id == 3).values(comments="checked twice"))
    seq1 = json.loads((p1 / "manifest.json").read_text())["to_seq"]
    p2 = export_changes(ru.engine, "CN", since=seq1, agreement=grant, out=tmp_path / "p2", key_dir=ru.keys)
    assert (p2 / "p0" / "observations.csv").read_text().count("\n") == 2  # header + one row
    with pytest.raises(SyncError, match="have not been applied here"):
        receive(cn.engine, p2, peer="RU")
    assert _counts(cn.engine)["observation"] == 0
    receive(cn.engine, p1, peer="RU")
    r2 = receive(cn.engine, p2, peer="RU")
    assert r2["status"] == "applied" and r2["from_seq"] == seq1


def _assign(engine, obs_id: int, code: str) -> None:
    """Put an observation on an individual with the partner's code (as the identification step would)."""
    with engine.begin() as conn:
        species, dep_partner = conn.execute(select(Observation.species_id, Station.partner_id)
                                            .join(Deployment, Deployment.id == Observation.deployment_id)
                                            .join(Station, Station.id == Deployment.station_id)
                                            .where(Observation.id == obs_id)).one()
        ind = conn.execute(Individual.__table__.insert().values(species_id=species, code=f"CAT-{code}",
                                                                name=code)).inserted_primary_key[0]
        conn.execute(IndividualAlias.__table__.insert().values(individual_id=ind, partner_id=dep_partner,
                                                               species_id=species, code=code))
        conn.execute(update(Observation).where(Observation.id == obs_id).values(individual_id=ind))


def test_conflicts_are_listed_not_overwritten(nodes, tmp_path):
    ru, cn = nodes
    grant = [Grant("INBO", exact_locations=True)]
    p1 = export_changes(ru.engine, "CN", agreement=grant, out=tmp_path / "p1", key_dir=ru.keys)
    receive(cn.engine, p1, peer="RU")
    # An observation with a species: the same row on both nodes after the first exchange.
    with ru.engine.connect() as conn:
        fox = conn.execute(select(Observation.id).where(Observation.species_id.is_not(None))
                           .order_by(Observation.id)).scalars().first()
    _assign(ru.engine, fox, "F1")  # RU says: fox F1
    _assign(cn.engine, fox, "F2")  # CN says: fox F2
    with ru.engine.begin() as conn:
        conn.execute(update(Station).where(Station.id == 1).values(latitude=Station.latitude + 0.01))
    lat_cn = _stations(cn.engine)
    seq1 = json.loads((p1 / "manifest.json").read_text())["to_seq"]
    p2 = export_changes(ru.engine, "CN", since=seq1, agreement=grant, out=tmp_path / "p2", key_dir=ru.keys)
    result = receive(cn.engine, p2, peer="RU")
    found = conflicts(cn.engine, "RU")
    kinds = {c["kind"] for c in found}
    assert "identification" in kinds and result["conflicts"] == len(found)
    ident = next(c for c in found if c["kind"] == "identification")
    assert ident["local"]["individualID"] == "F2" and ident["incoming"]["individualID"] == "F1"
    # The station was moved by its owner only: the owner's update applies (issue 18), no conflict.
    assert "station-moved" not in kinds
    pd.testing.assert_frame_equal(_stations(cn.engine), _stations(ru.engine))
    assert not _stations(cn.engine).equals(lat_cn)
    with cn.engine.connect() as conn:
        kept = conn.execute(select(IndividualAlias.code).join(
            Observation, Observation.individual_id == IndividualAlias.individual_id)
            .where(Observation.id == fox)).scalar_one()
    assert kept == "F2"
    # Receiving the same package again (e.g. after an interruption) lists nothing twice.
    from bigcats.exchange.sync import state
    with cn.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sync_exchange WHERE direction = 'in' AND to_seq > ?", (seq1,))
    receive(cn.engine, p2, peer="RU")
    assert len(conflicts(cn.engine, "RU")) == len(found)
    assert state.applied(cn.engine, "RU") > seq1
