"""Review queue and decision log: confirm, reject, new individual, merge, split and undo, with who and when."""

from __future__ import annotations

import pandas as pd
import pytest

from bigcats.identify.errors import IdentifyError
from bigcats.identify.review import confirmed, empty_log, queue, record, replay

T = pd.Timestamp("2025-03-01 10:00", tz="UTC")


def _log():
    log = empty_log()
    log = record(log, "confirm", "anna", T, image="a.jpg", individualID="T1")
    log = record(log, "confirm", "anna", T, image="b.jpg", individualID="T1")
    log = record(log, "new_individual", "li", T, image="c.jpg", individualID="T2")
    log = record(log, "reject", "li", T, image="d.jpg", individualID="T1")
    return log


def test_confirmed_only_reach_the_analyses():
    c = confirmed(_log())
    assert dict(zip(c["image"], c["individualID"])) == {"a.jpg": "T1", "b.jpg": "T1", "c.jpg": "T2"}
    assert "d.jpg" in set(replay(_log())["image"])  # the rejection is kept, but not as an identification


def test_merge_split_and_undo():
    log = record(_log(), "merge", "ivan", T, individualID="T1", other="T2")  # Chinese and Russian codes: one tiger
    assert set(confirmed(log)["individualID"]) == {"T1"}
    log = record(log, "split", "ivan", T, individualID="T1", other="T3", images=["b.jpg"])
    assert dict(zip(*confirmed(log).to_dict("list").values())) == {"a.jpg": "T1", "b.jpg": "T3", "c.jpg": "T1"}
    log = record(log, "undo", "anna", T, target=6)  # undo the split
    assert dict(zip(*confirmed(log).to_dict("list").values()))["b.jpg"] == "T1"
    log = record(log, "undo", "anna", T, target=5)  # and the merge
    assert dict(zip(*confirmed(log).to_dict("list").values()))["c.jpg"] == "T2"
    log = record(log, "undo", "anna", T, target=8)  # undo the undo: merged again
    assert dict(zip(*confirmed(log).to_dict("list").values()))["c.jpg"] == "T1"
    assert list(log["who"].iloc[-3:]) == ["anna"] * 3 and (log["when"] == T).all()


def test_queue_holds_undecided_proposals():
    props = pd.DataFrame({"image": ["a.jpg", "d.jpg", "e.jpg", "f.jpg"], "best_individual": ["T1", "T1", "T2", None], "score": [5.0, 3.0, 2.0, 0.1]})
    q = queue(props, _log())
    assert list(q["image"]) == ["e.jpg", "f.jpg"]  # a decided; d's proposal rejected


def test_bad_decisions_are_refused():
    with pytest.raises(IdentifyError, match="no reviewer"):
        record(empty_log(), "confirm", "", T, image="a.jpg", individualID="T1")
    with pytest.raises(IdentifyError, match="needs individualID"):
        record(empty_log(), "confirm", "anna", T, image="a.jpg")
    with pytest.raises(IdentifyError, match="no event 9"):
        record(_log(), "undo", "anna", T, target=9)
    log = record(_log(), "split", "ivan", T, individualID="T2", other="T9", images=["a.jpg"])
    with pytest.raises(IdentifyError, match="not confirmed as T2"):
        replay(log)
