"""`bigcats catalogue ...` and `catalogue review ...` on a small store, through Typer's test runner."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from bigcats.cli.catalogue import app
from bigcats.identify import catalogue as cat
from bigcats.store.query import load_frames
from catalogue_world import TIGER, _world

runner = CliRunner()


def _run(*args: str) -> dict:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_review_merge_history_undo_through_the_cli(sqlite_url, tmp_path):
    engine, obs = _world(sqlite_url)
    cat.propose(engine, pd.DataFrame({"observation_id": obs[("CHN", 3)], "scientificName": TIGER, "side": "right",
                                      "individual": ["CHN:T1", "RUS:T1"], "score": [2.5, 0.9], "rank": [1, 2]}),
                partner="CHN")
    queue = _run("review", "list", "--db", sqlite_url)["pending"]
    assert [p["individual"] for p in queue] == ["CHN:T1", "RUS:T1"]
    # The box and flank a reviewer sets (as in the review page), refused when malformed, then undoable.
    b = _run("review", "box", str(queue[0]["id"]), "--box", "0.1,0.2,0.3,0.4", "--who", "li", "--db", sqlite_url)
    assert b["action"] == "box" and b["box"] == [0.1, 0.2, 0.3, 0.4]
    assert cat.observation_box(engine, obs[("CHN", 3)], (100, 200)) == (20, 20, 60, 40)
    for bad in ("0.1,0.2,0.3", "a,b,c,d", "0.9,0.2,0.3,0.4"):
        res = runner.invoke(app, ["review", "box", str(queue[0]["id"]), "--box", bad, "--who", "li", "--db", sqlite_url])
        assert res.exit_code == 1 and ("--box" in res.output or "inside the photo" in res.output), res.output
    _run("undo", str(b["decision"]), "--who", "li", "--db", sqlite_url)
    assert cat.observation_box(engine, obs[("CHN", 3)], (100, 200)) is None
    d = _run("review", "confirm", str(queue[0]["id"]), "--who", "li", "--db", sqlite_url)
    assert d["individual"] == "CHN:T1"
    assert _run("review", "list", "--db", sqlite_url)["pending"] == []
    m = _run("merge", "RUS:T1", "CHN:T1", "--who", "anna", "--db", sqlite_url)
    assert m["absorbed"] == "CHN:T1"
    shown = _run("show", "T1", "--partner", "CHN", "--db", sqlite_url)
    assert shown["code"] == "RUS:T1" and shown["aliases"] == "CHN:T1;RUS:T1" and shown["observations"] == 5
    listed = _run("list", "--species", "tiger", "--db", sqlite_url)["individuals"]
    assert [i["code"] for i in listed] == ["RUS:T1"]
    hist = _run("history", "--db", sqlite_url)["decisions"]
    assert [(h["action"], h["who"]) for h in hist] == [("box", "li"), ("undo", "li"), ("confirm", "li"), ("merge", "anna")]
    _run("undo", str(m["decision"]), "--who", "anna", "--db", sqlite_url)
    ids = load_frames(engine).observations.set_index("observationID")["individualID"]
    assert ids["CHN-o3"] == "CHN:T1" and ids["RUS-o0"] == "RUS:T1"
    out = tmp_path / "wb.csv"
    assert _run("export-wildbook", str(out), "--db", sqlite_url)["encounters"] == 1
    # Errors are named, with a non-zero exit, never a traceback.
    bad = runner.invoke(app, ["merge", "RUS:T1", "NOPE", "--who", "anna", "--db", sqlite_url])
    assert bad.exit_code == 1 and "no individual with catalogue code 'NOPE'" in bad.output
    bad = runner.invoke(app, ["review", "confirm", "999", "--who", "anna", "--db", sqlite_url])
    assert bad.exit_code == 1 and "no identification proposal 999" in bad.output


def test_identify_match_propose_writes_the_review_queue(sqlite_url, easy_leopards, tmp_path):
    from sqlalchemy import select

    from bigcats.cli.identify import app as identify_app
    from bigcats.store.db import open_store
    from bigcats.store.models import Individual, Partner, Species

    folder, labels = easy_leopards
    engine = open_store(sqlite_url)
    with engine.begin() as conn:
        sid = conn.execute(select(Species.id).where(Species.scientific_name == "Panthera pardus orientalis")).scalar_one()
        conn.execute(Partner.__table__.insert().values(code="LLNP", name="Land of the Leopard"))
        conn.execute(Individual.__table__.insert(), [{"species_id": sid, "code": c} for c in sorted(labels["individual"].unique())])
    # The catalogue indexes all but one photo, which comes back as a new photo to identify.
    query = labels.iloc[-1]
    (tmp_path / "ref").mkdir()
    ref = labels.iloc[:-1]
    ref.to_csv(tmp_path / "ref" / "labels.csv", index=False)
    for name in ref["image"]:
        (tmp_path / "ref" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ref" / name).symlink_to(folder / name)
    res = runner.invoke(identify_app, ["index", str(tmp_path / "ref"), "--out", str(tmp_path / "idx"), "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(identify_app, ["match", str(folder / query["image"]), "--index", str(tmp_path / "idx"),
                                       "--species", "leopard", "--side", query["side"], "--box",
                                       ",".join(str(int(query[c])) for c in "xywh"), "--propose", "--partner", "LLNP",
                                       "--db", sqlite_url, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["proposed"] >= 1
    queue = _run("review", "list", "--partner", "LLNP", "--db", sqlite_url)["pending"]
    assert queue[0]["individual"] == query["individual"] and queue[0]["rank"] == 1 and queue[0]["side"] == query["side"]
    # Without --box, --observation brings the box stored on that observation (e.g. drawn in the review page): an
    # observation that does not exist is a clear refusal, not a full-frame match.
    res = runner.invoke(identify_app, ["match", str(folder / query["image"]), "--index", str(tmp_path / "idx"),
                                       "--species", "leopard", "--observation", "987654", "--db", sqlite_url, "--json"])
    assert res.exit_code == 1 and "no observation 987654" in res.output
