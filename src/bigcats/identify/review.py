"""The review queue and the catalogue's decision log: confirm, reject, new individual, merge, split, undo.

The matcher only proposes; people decide. Every decision is an event (who, when, what) appended to a log,
and the catalogue's assignment of photos to individuals is the replay of that log, so any merge or split
can be undone by an `undo` event without losing the history. Only confirmed assignments leave for the
capture-recapture analyses. The lead's store layer persists the log; this module is pure DataFrames.
"""

from __future__ import annotations

import pandas as pd

from bigcats.identify.errors import IdentifyError

EVENT_COLUMNS = ["eventID", "when", "who", "action", "image", "individualID", "other", "images", "target"]
ACTIONS = {"confirm", "reject", "new_individual", "merge", "split", "undo"}


def empty_log() -> pd.DataFrame:
    """An empty decision log."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})


def record(log: pd.DataFrame, action: str, who: str, when: pd.Timestamp | None = None, **fields: object) -> pd.DataFrame:
    """Append one decision (with who and when) to the log; returns the new log."""
    if action not in ACTIONS:
        raise IdentifyError(f"unknown decision {action!r}: expected one of {', '.join(sorted(ACTIONS))}")
    if not who:
        raise IdentifyError(f"decision {action!r} has no reviewer: every decision records who made it")
    unknown = set(fields) - set(EVENT_COLUMNS)
    if unknown:
        raise IdentifyError(f"decision {action!r}: unknown field(s) {', '.join(sorted(unknown))}")
    need = {"confirm": ("image", "individualID"), "reject": ("image", "individualID"), "new_individual": ("image", "individualID"),
            "merge": ("individualID", "other"), "split": ("individualID", "other", "images"), "undo": ("target",)}[action]
    missing = [f for f in need if fields.get(f) in (None, "")]
    if missing:
        raise IdentifyError(f"decision {action!r} needs {', '.join(missing)}")
    if action == "undo" and int(fields["target"]) not in set(log["eventID"].astype(int)):
        raise IdentifyError(f"undo: no event {fields['target']} in the log")
    when = pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)
    if when.tzinfo is None:
        raise IdentifyError(f"decision {action!r}: time {when} has no time zone")
    images = fields.get("images")
    if isinstance(images, (list, tuple, set)):
        fields["images"] = ";".join(sorted(map(str, images)))
    row = {c: None for c in EVENT_COLUMNS} | fields | {"eventID": int(len(log) + 1), "when": when, "who": who, "action": action}
    new = pd.DataFrame([row], columns=EVENT_COLUMNS)
    return new if log.empty else pd.concat([log, new], ignore_index=True)


def _live(log: pd.DataFrame) -> pd.DataFrame:
    """Events not undone (an undone undo restores its target)."""
    undo = log[log["action"] == "undo"]
    target = dict(zip(undo["eventID"].astype(int), undo["target"].astype(int), strict=True))
    dead: set[int] = set()
    for e in sorted(target, reverse=True):  # later undos first, so that undoing an undo revives its target
        if e not in dead:
            dead.add(target[e])
    return log[~log["eventID"].astype(int).isin(dead) & (log["action"] != "undo")]


def replay(log: pd.DataFrame) -> pd.DataFrame:
    """Current assignment of photos to individuals: image, individualID, status (confirmed|rejected)."""
    state: dict[str, str] = {}
    rejected: dict[str, set[str]] = {}
    # Sequential by nature: a merge or split acts on the state left by all earlier decisions.
    for e in _live(log).to_dict(orient="records"):
        act = e["action"]
        if act in ("confirm", "new_individual"):
            state[e["image"]] = e["individualID"]
        elif act == "reject":
            rejected.setdefault(e["image"], set()).add(e["individualID"])
        elif act == "merge":  # `other` is absorbed into individualID
            state = {img: (e["individualID"] if ind == e["other"] else ind) for img, ind in state.items()}
        elif act == "split":  # the listed photos of individualID become the individual `other`
            moving = set(str(e["images"]).split(";"))
            bad = [img for img in moving if state.get(img) != e["individualID"]]
            if bad:
                raise IdentifyError(f"event {e['eventID']} (split of {e['individualID']}): photo(s) {', '.join(sorted(bad))} are not confirmed as {e['individualID']}")
            state = {img: (e["other"] if img in moving else ind) for img, ind in state.items()}
    out = pd.DataFrame({"image": list(state), "individualID": list(state.values()), "status": "confirmed"})
    rej = [(img, "", "rejected") for img in rejected if img not in state]
    if rej:
        out = pd.concat([out, pd.DataFrame(rej, columns=out.columns)], ignore_index=True)
    return out


def queue(proposals: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Proposals (image, best_individual, score, status from batch) still waiting for a person, best first."""
    missing = [c for c in ("image", "best_individual", "score") if c not in proposals.columns]
    if missing:
        raise IdentifyError(f"proposals lack column(s) {', '.join(missing)}")
    live = _live(log)
    decided = set(live.loc[live["action"].isin(["confirm", "new_individual"]), "image"])
    rejected = set(zip(live.loc[live["action"] == "reject", "image"], live.loc[live["action"] == "reject", "individualID"], strict=True))
    pend = proposals[~proposals["image"].isin(decided)]
    pair_rejected = [(i, b) in rejected for i, b in zip(pend["image"], pend["best_individual"], strict=True)]
    pend = pend[~pd.Series(pair_rejected, index=pend.index, dtype=bool)]
    return pend.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)


def confirmed(log: pd.DataFrame) -> pd.DataFrame:
    """The confirmed identifications only: what capture-recapture may use (image, individualID)."""
    a = replay(log)
    return a.loc[a["status"] == "confirmed", ["image", "individualID"]].reset_index(drop=True)
