"""The catalogue in the store: proposals, review decisions, merge/split/undo round trips, Wildbook import."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from bigcats.identify import catalogue as cat
from bigcats.identify.errors import IdentifyError
from bigcats.store.db import table_counts
from bigcats.store.models import Individual, IndividualAlias, Observation, Partner, Species
from bigcats.store.query import load_frames
from catalogue_world import TIGER, _world


def _state(engine) -> dict:
    """Everything the catalogue decisions may touch, for exact before/after comparison."""
    with engine.connect() as conn:
        return {t.__tablename__: sorted(map(tuple, conn.execute(select(t.__table__)).all()), key=str)
                for t in (Individual, IndividualAlias, Observation, cat.IndividualImage, cat.IdentificationProposal)}


def _ids(frames) -> dict[str, str | None]:
    o = frames.observations
    return dict(zip(o["observationID"], o["individualID"].astype(object).where(o["individualID"].notna(), None), strict=True))


def _propose(engine, obs_id: int, candidates: list[tuple[str | None, float]], partner: str = "RUS") -> list[int]:
    rows = pd.DataFrame({"observation_id": obs_id, "scientificName": TIGER, "side": "left",
                         "individual": [c for c, _ in candidates], "score": [s for _, s in candidates],
                         "rank": range(1, len(candidates) + 1)})
    before = set(cat.pending(engine)["id"])
    cat.propose(engine, rows, partner=partner)
    return sorted(set(cat.pending(engine)["id"]) - before)


def test_only_confirmed_identifications_reach_the_survey_frames(db_url):
    engine, obs = _world(db_url)
    ids = _propose(engine, obs[("RUS", 2)], [("RUS:T1", 3.5), ("CHN:T1", 1.2)])
    assert len(ids) == 2
    q = cat.pending(engine)
    assert list(q["individual"]) == ["RUS:T1", "CHN:T1"] and (q["partner"] == "RUS").all()
    # Proposals alone change nothing the analyses read.
    assert _ids(load_frames(engine))["RUS-o2"] is None
    cat.decide(engine, ids[1], "reject", who="anna")
    assert _ids(load_frames(engine))["RUS-o2"] is None
    d = cat.decide(engine, ids[0], "confirm", who="anna")
    assert d["individual"] == "RUS:T1"
    assert _ids(load_frames(engine))["RUS-o2"] == "RUS:T1"
    assert cat.pending(engine).empty
    # The confirmed photo becomes a reference of the left flank; who and when are in the log.
    row = cat.list_individuals(engine, TIGER).set_index("code").loc["RUS:T1"]
    assert row["photos_left"] == 1 and row["observations"] == 3 and row["aliases"] == "RUS:T1"
    h = cat.history(engine)
    assert list(h["action"]) == ["reject", "confirm"] and set(h["who"]) == {"anna"}
    with pytest.raises(IdentifyError, match="already confirmed"):
        cat.decide(engine, ids[0], "confirm", who="anna")
    with pytest.raises(IdentifyError, match="no reviewer"):
        cat.decide(engine, _propose(engine, obs[("RUS", 3)], [("RUS:T1", 2.0)])[0], "confirm", who="")


def test_new_individual_gets_a_catalogue_code_and_alias_and_undo_restores(db_url):
    engine, obs = _world(db_url)
    ids = _propose(engine, obs[("CHN", 4)], [(None, 0.2)], partner="CHN")
    before = _state(engine)
    d = cat.decide(engine, ids[0], "new", who="li", partner_code="T9")
    assert d["individual"] == "AT-001"
    assert _ids(load_frames(engine))["CHN-o4"] == "AT-001"
    with engine.connect() as conn:
        assert cat.individual_id(conn, "T9", TIGER, partner="CHN") == d["individual_id"]
    with pytest.raises(IdentifyError, match="no candidate to confirm"):
        cat.decide(engine, _propose(engine, obs[("CHN", 5)], [(None, 0.1)], partner="CHN")[0], "confirm", who="li")
    after_second = _state(engine)
    u = cat.undo(engine, d["decision"], who="li")
    assert u["undone"] == "new_individual"
    assert _ids(load_frames(engine))["CHN-o4"] is None
    state = _state(engine)
    # Exactly the state before the decision, apart from the later, unrelated proposal.
    later = [r for r in after_second["identification_proposal"] if r not in before["identification_proposal"]
             and r[0] not in ids]
    assert state["individual"] == before["individual"] and state["individual_alias"] == before["individual_alias"]
    assert state["observation"] == before["observation"] and state["individual_image"] == before["individual_image"]
    assert sorted(state["identification_proposal"], key=str) == sorted(before["identification_proposal"] + later, key=str)
    # Undoing the undo brings the new individual back, with the same id.
    cat.undo(engine, u["decision"], who="li")
    assert _ids(load_frames(engine))["CHN-o4"] == "AT-001"
    with pytest.raises(IdentifyError, match="already undone"):
        cat.undo(engine, u["decision"], who="li")


def test_cross_border_merge_split_and_undo_round_trip(db_url):
    engine, obs = _world(db_url)
    before = _state(engine)
    pairs = pd.DataFrame({"individual_a": ["T1"], "individual_b": ["T1"], "scientificName": [TIGER], "score": [4.2],
                          "proposed": [True]})
    res = cat.accept_pairs(engine, pairs, "RUS", "CHN", who="demo-reviewer")
    assert list(res["status"]) == ["merged"]
    ids = _ids(load_frames(engine))
    assert {ids[k] for k in ("RUS-o0", "RUS-o1", "CHN-o0", "CHN-o1")} == {"RUS:T1"}
    listed = cat.list_individuals(engine, TIGER)
    assert list(listed["code"]) == ["RUS:T1"] and listed["aliases"].iloc[0] == "CHN:T1;RUS:T1"
    assert listed["observations"].iloc[0] == 4
    # Accepting the same pair again does nothing.
    assert list(cat.accept_pairs(engine, pairs, "RUS", "CHN", who="demo-reviewer")["status"]) == ["already one"]
    merged = _state(engine)
    # Split the Chinese photos off again into a new individual.
    with engine.connect() as conn:
        keep = cat.individual_id(conn, "RUS:T1")
        chn_alias = conn.execute(select(IndividualAlias.id).where(IndividualAlias.code == "T1",
                                                                 IndividualAlias.individual_id == keep)
                                 .join(Partner, IndividualAlias.partner_id == Partner.id).where(Partner.code == "CHN")
                                 ).scalar_one()
    s = cat.split(engine, keep, [obs[("CHN", 0)], obs[("CHN", 1)]], who="anna", aliases=[chn_alias])
    ids = _ids(load_frames(engine))
    assert ids["CHN-o0"] == ids["CHN-o1"] == s["new_individual"] != ids["RUS-o0"] == "RUS:T1"
    with pytest.raises(IdentifyError, match="not identified as"):
        cat.split(engine, keep, [obs[("RUS", 4)]], who="anna")
    # The merge cannot be undone while the split rests on it; undo the split, then the merge.
    with pytest.raises(IdentifyError, match="undo that one first|undo them first"):
        cat.undo(engine, int(res["decision"].iloc[0]), who="anna")
    cat.undo(engine, s["decision"], who="anna")
    assert _state(engine) == merged
    cat.undo(engine, int(res["decision"].iloc[0]), who="anna")
    assert _state(engine) == before
    assert list(cat.history(engine)["action"]) == ["merge", "split", "undo", "undo"]
    with pytest.raises(IdentifyError, match="different species"):
        with engine.begin() as conn:
            sid = conn.execute(select(Species.id).where(Species.scientific_name == "Panthera uncia")).scalar_one()
            other = conn.execute(Individual.__table__.insert().values(species_id=sid, code="SL-001")).inserted_primary_key[0]
        cat.merge(engine, keep, other, who="anna")


def test_bad_proposals_are_refused_with_the_row(sqlite_url):
    engine, obs = _world(sqlite_url)
    rows = pd.DataFrame({"observation_id": [obs[("RUS", 2)]], "scientificName": [TIGER], "side": ["left"],
                         "individual": ["NOPE"], "score": [1.0], "rank": [1]})
    with pytest.raises(IdentifyError, match="row 1: no Panthera tigris altaica with catalogue code 'NOPE'"):
        cat.propose(engine, rows)
    with pytest.raises(IdentifyError, match="field side"):
        cat.propose(engine, rows.assign(side="front", individual="RUS:T1"))
    with pytest.raises(IdentifyError, match="species 'Nota species'"):
        cat.propose(engine, rows.assign(scientificName="Nota species"))
    assert table_counts(engine)["identification_proposal"] == 0


def test_wildbook_import_and_export_round_trip(sqlite_url, tmp_path):
    from bigcats.identify.wildbook import read_encounters, write_encounters

    engine, _ = _world(sqlite_url, photos=2)
    src = tmp_path / "export.csv"
    pd.DataFrame({"Encounter.catalogNumber": ["e1", "e2", "e3", "e4"],
                  "MarkedIndividual.individualID": ["Alpha", "Alpha", "Beta", ""],
                  "Annotation.ViewpointName": ["left", "right", "frontleft", "left"],
                  "Encounter.sex": ["female", "female", "m", ""],
                  "Encounter.mediaAsset0": ["a1.jpg", "a2.jpg", "b1.jpg", "x.jpg"]}).to_csv(src, index=False)
    res = cat.import_wildbook(engine, read_encounters(src), TIGER, "RUS", who="importer")
    assert (res["individuals"], res["created"], res["photos"], res["unassigned"]) == (2, 2, 3, 1)
    listed = cat.list_individuals(engine, TIGER).set_index("aliases")
    assert listed.loc["RUS:Alpha", "photos_left"] == 1 and listed.loc["RUS:Alpha", "photos_right"] == 1
    assert listed.loc["RUS:Beta", "sex"] == "male"
    out = write_encounters(cat.export_wildbook(engine, TIGER), tmp_path / "back.csv")
    back = read_encounters(out)
    assert sorted(back["encounterID"]) == ["e1", "e2", "e3"]
    assert sorted(back["partnerCode"]) == ["Alpha", "Alpha", "Beta"]
    assert list(back.sort_values("encounterID")["side"]) == ["left", "right", "left"]
    # Importing is a decision like any other, and undoing it empties the catalogue of what it brought.
    cat.undo(engine, res["decision"], who="importer")
    assert set(cat.list_individuals(engine, TIGER)["aliases"]) == {"RUS:T1", "CHN:T1"}
