"""Catalogue decisions in the exchange: the owner's decisions on its photos travel as a CSV resource.

A decision (who, when, which action, on which observation and individual) is written per project as
`catalogue-decisions.csv`; the receiver records each once in its own catalogue log and lists a confirmation
on one side against a rejection on the other for the same photo and individual as a conflict.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from bigcats.store import load
from bigcats.store.models import Deployment, Individual, IndividualAlias, Observation, Partner, Project
from bigcats.store.models_identify import CatalogueDecision, IdentificationProposal
from bigcats.store.models_sync import SyncDecision

FILE = "catalogue-decisions.csv"
RESOURCE = "catalogue-decisions"
KEY = "decisionID"
COLUMNS = ["decisionID", "at", "who", "action", "observationID", "individualID", "note", "otherIndividualID",
           "targetID"]
CATALOGUE_ACTIONS = ("merge", "split", "undo")  # decisions on individuals rather than on one photo
OPPOSITE = {"confirm": "reject", "reject": "confirm"}


def project_decisions(engine: Engine, partner: str, project: str) -> pd.DataFrame:
    """The catalogue decisions made on one project's observations, as text (individual by the owner's code)."""
    alias = (select(IndividualAlias.individual_id, func.min(IndividualAlias.code).label("code"))
             .join(Partner, Partner.id == IndividualAlias.partner_id).where(Partner.code == partner)
             .group_by(IndividualAlias.individual_id).subquery())
    q = (select(CatalogueDecision.id, CatalogueDecision.at, CatalogueDecision.who, CatalogueDecision.action,
                Observation.source_id, alias.c.code, Individual.code, CatalogueDecision.note)
         .join(IdentificationProposal, IdentificationProposal.id == CatalogueDecision.proposal_id)
         .join(Observation, and_(Observation.id == IdentificationProposal.observation_id))
         .join(Deployment, Deployment.id == Observation.deployment_id)
         .join(Project, Project.id == Deployment.project_id)
         .join(Partner, Partner.id == Project.partner_id)
         .outerjoin(Individual, Individual.id == CatalogueDecision.individual_id)
         .outerjoin(alias, alias.c.individual_id == CatalogueDecision.individual_id)
         .where(Partner.code == partner, Project.code == project).order_by(CatalogueDecision.id))
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(),
                          columns=["id", "at", "who", "action", "obs", "alias", "code", "note"])
    photo = pd.DataFrame({
        "decisionID": df["id"].astype(str),
        "at": pd.to_datetime(df["at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ") if len(df) else pd.Series(dtype=str),
        "who": df["who"], "action": df["action"], "observationID": df["obs"],
        "individualID": df["alias"].where(df["alias"].notna(), df["code"]).fillna(""),
        "note": df["note"].fillna(""), "otherIndividualID": "", "targetID": "",
    }, columns=COLUMNS)
    catalogue = catalogue_decisions(engine, partner)
    return pd.concat([photo, catalogue], ignore_index=True) if not catalogue.empty else photo


def catalogue_decisions(engine: Engine, partner: str) -> pd.DataFrame:
    """This node's own merges, splits and undos of the partner's individuals, as text (the partner's codes).

    They travel with every project of the partner; the receiver records each once and applies merges and undos
    of merges to its copy of the catalogue (the observations they moved travel as the owner's updates).
    """
    with engine.connect() as conn:
        received = select(SyncDecision.decision_id)
        aliases = pd.DataFrame(conn.execute(select(IndividualAlias.id, IndividualAlias.individual_id,
                                                   IndividualAlias.code)
                                            .join(Partner, Partner.id == IndividualAlias.partner_id)
                                            .where(Partner.code == partner)).all(), columns=["id", "ind", "code"])
        rows = conn.execute(select(CatalogueDecision.id, CatalogueDecision.at, CatalogueDecision.who,
                                   CatalogueDecision.action, CatalogueDecision.individual_id,
                                   CatalogueDecision.other_individual_id, CatalogueDecision.target,
                                   CatalogueDecision.note, CatalogueDecision.fields)
                            .where(CatalogueDecision.action.in_(CATALOGUE_ACTIONS),
                                   CatalogueDecision.id.not_in(received))
                            .order_by(CatalogueDecision.id)).all()
    code_of = aliases.sort_values("code").drop_duplicates("ind").set_index("ind")["code"].to_dict()
    code_by_id = aliases.set_index("id")["code"].to_dict()
    out = []
    for i, at, who, action, a, b, target, note, fields in rows:
        a_code, b_code = code_of.get(a, ""), code_of.get(b, "")
        if action == "merge":  # the absorbed animal's codes moved to the kept one: name each by its own code
            changes = (fields or {}).get("changes", []) if isinstance(fields, dict) else []
            moved = {code_by_id[c["id"]] for c in changes
                     if c.get("table") == "individual_alias" and c.get("id") in code_by_id}
            b_code = min(moved) if moved else b_code
            own = sorted(set(aliases.loc[aliases["ind"] == a, "code"]) - moved)
            a_code = own[0] if own else a_code
        if not a_code and not b_code:
            continue
        out.append({"decisionID": str(i), "at": pd.Timestamp(at).strftime("%Y-%m-%dT%H:%M:%SZ"), "who": who,
                    "action": action, "observationID": "", "individualID": a_code, "note": note or "",
                    "otherIndividualID": b_code, "targetID": "" if target is None else str(target)})
    return pd.DataFrame(out, columns=COLUMNS)


def local_decisions(engine: Engine, partner: str, project: str) -> pd.DataFrame:
    """This node's own decisions (not received ones) on a project's observations, like `project_decisions`."""
    mine = project_decisions(engine, partner, project)
    with engine.connect() as conn:
        received = {str(v) for v in conn.execute(select(SyncDecision.decision_id)).scalars()}
    return mine[~mine["decisionID"].isin(received)].reset_index(drop=True)


def decision_conflicts(incoming: pd.DataFrame, local: pd.DataFrame) -> pd.DataFrame:
    """Incoming confirmations or rejections that this node decided the other way, as conflict rows."""
    cols = ["resource", "row_key", "kind", "fields", "local", "incoming", "incoming_sha256"]
    if incoming.empty or local.empty:
        return pd.DataFrame(columns=cols)
    inc = incoming[incoming["action"].isin(OPPOSITE.keys())].assign(opposite=lambda d: d["action"].map(OPPOSITE))
    both = inc.merge(local, left_on=["observationID", "individualID", "opposite"],
                     right_on=["observationID", "individualID", "action"], suffixes=("_in", "_local"))
    if both.empty:
        return pd.DataFrame(columns=cols)
    side = ["action", "who", "at", "note"]
    out = pd.DataFrame({
        "resource": RESOURCE, "row_key": both["observationID"].to_numpy(), "kind": "identification-decision",
        "fields": [["action"]] * len(both),
        "local": [dict(zip(side, v, strict=True)) | {"individualID": i} for v, i in
                  zip(both[[f"{c}_local" for c in side]].to_numpy().tolist(), both["individualID"], strict=True)],
        "incoming": [dict(zip(side, v, strict=True)) | {"individualID": i} for v, i in
                     zip(both[[f"{c}_in" for c in side]].to_numpy().tolist(), both["individualID"], strict=True)],
    }, columns=cols[:-1])
    out["incoming_sha256"] = [hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()
                              for v in out["incoming"]]
    return out


def record_decisions(engine: Engine, incoming: pd.DataFrame, peer: str, partner: str, project: str) -> int:
    """Record the peer's decisions in this node's catalogue log, each once; returns how many were new.

    Merges are applied to this node's catalogue (the owner's two individuals become one here too), and an
    undo of a merge received before reverses it here; splits arrive as the owner's individuals and updated
    observations, so they are recorded only. A merge or undo that cannot be applied here (an individual not
    received, a later decision resting on it) is recorded with why.
    """
    if incoming.empty:
        return 0
    incoming = incoming.reindex(columns=COLUMNS, fill_value="")
    with engine.connect() as conn:
        seen = set(conn.execute(select(SyncDecision.remote_id).where(
            SyncDecision.partner == partner, SyncDecision.project == project)).scalars())
        # A decision on individuals travels with every project of the partner: applied once for all of them.
        seen_anywhere = dict(conn.execute(select(SyncDecision.remote_id, SyncDecision.decision_id).where(
            SyncDecision.partner == partner)).all())
        ind = pd.DataFrame(conn.execute(select(IndividualAlias.code, IndividualAlias.individual_id)
                                        .join(Partner, Partner.id == IndividualAlias.partner_id)
                                        .where(Partner.code == partner)).all(), columns=["code", "id"])
    new = incoming[~incoming[KEY].isin(seen)]
    if new.empty:
        return 0
    by_code = ind.drop_duplicates("code").set_index("code")["id"]
    ids = new["individualID"].map(by_code)
    at = pd.to_datetime(new["at"], utc=True).dt.tz_localize(None)
    for (remote, who, action, obs, code, note, other, target), when, iid in zip(
            new[[KEY, "who", "action", "observationID", "individualID", "note", "otherIndividualID",
                 "targetID"]].itertuples(index=False), at, ids, strict=True):
        sync = {"peer": peer, "partner": partner, "project": project, "decision": remote, "observationID": obs,
                "individualID": code}
        did = seen_anywhere.get(remote) if action in CATALOGUE_ACTIONS else None
        if did is None and action in ("merge", "undo"):
            did = _apply(engine, action, by_code, code, other, target, seen_anywhere, who, when, note, sync)
        if did is None:
            with engine.begin() as conn:
                did = conn.execute(CatalogueDecision.__table__.insert().values(
                    at=when.to_pydatetime(), who=who, action=action,
                    individual_id=None if pd.isna(iid) else int(iid), note=note or None,
                    fields={"sync": sync})).inserted_primary_key[0]
        with engine.begin() as conn:
            load.insert_ignore(conn, SyncDecision.__tablename__,
                               ["peer", "partner", "project", "remote_id", "decision_id"],
                               {"peer": [peer], "partner": [partner], "project": [project], "remote_id": [remote],
                                "decision_id": [int(did)]})
        seen_anywhere[remote] = int(did)
    return len(new)


def _apply(engine: Engine, action: str, by_code: pd.Series, code: str, other: str, target: str,
           seen: dict, who: str, when, note: str, sync: dict) -> int | None:
    """Apply a received merge or undo to this node's catalogue; the new decision's id, or None if it cannot be."""
    from bigcats.identify import catalogue
    from bigcats.identify.errors import IdentifyError

    when = when.tz_localize("UTC") if when.tzinfo is None else when
    try:
        if action == "merge" and code in by_code.index and other in by_code.index:
            return int(catalogue.merge(engine, int(by_code[code]), int(by_code[other]), who=who,
                                       when=when.to_pydatetime(), note=note or None,
                                       extra={"sync": sync})["decision"])
        if action == "undo" and target and target in seen:
            return int(catalogue.undo(engine, int(seen[target]), who=who, when=when.to_pydatetime(),
                                      note=note or None)["decision"])
    except IdentifyError as exc:
        sync["not_applied"] = str(exc)
    return None


def read_decisions(folder: Path) -> pd.DataFrame:
    """The decisions resource of a package folder as text (empty when absent)."""
    path = folder / FILE
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
