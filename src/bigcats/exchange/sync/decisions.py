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
from sqlalchemy import Engine, and_, select

from bigcats.store import load
from bigcats.store.models import Deployment, Individual, IndividualAlias, Observation, Partner, Project
from bigcats.store.models_identify import CatalogueDecision, IdentificationProposal
from bigcats.store.models_sync import SyncDecision

FILE = "catalogue-decisions.csv"
RESOURCE = "catalogue-decisions"
KEY = "decisionID"
COLUMNS = ["decisionID", "at", "who", "action", "observationID", "individualID", "note"]
OPPOSITE = {"confirm": "reject", "reject": "confirm"}


def project_decisions(engine: Engine, partner: str, project: str) -> pd.DataFrame:
    """The catalogue decisions made on one project's observations, as text (individual by the owner's code)."""
    alias = (select(IndividualAlias.individual_id, IndividualAlias.code)
             .join(Partner, Partner.id == IndividualAlias.partner_id).where(Partner.code == partner).subquery())
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
    return pd.DataFrame({
        "decisionID": df["id"].astype(str),
        "at": pd.to_datetime(df["at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ") if len(df) else pd.Series(dtype=str),
        "who": df["who"], "action": df["action"], "observationID": df["obs"],
        "individualID": df["alias"].where(df["alias"].notna(), df["code"]).fillna(""),
        "note": df["note"].fillna(""),
    }, columns=COLUMNS)


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
    """Record the peer's decisions in this node's catalogue log, each once; returns how many were new."""
    if incoming.empty:
        return 0
    with engine.connect() as conn:
        seen = set(conn.execute(select(SyncDecision.remote_id).where(
            SyncDecision.partner == partner, SyncDecision.project == project)).scalars())
        ind = pd.DataFrame(conn.execute(select(IndividualAlias.code, IndividualAlias.individual_id)
                                        .join(Partner, Partner.id == IndividualAlias.partner_id)
                                        .where(Partner.code == partner)).all(), columns=["code", "id"])
    new = incoming[~incoming[KEY].isin(seen)]
    if new.empty:
        return 0
    ids = new["individualID"].map(ind.drop_duplicates("code").set_index("code")["id"])
    at = pd.to_datetime(new["at"], utc=True).dt.tz_localize(None)
    with engine.begin() as conn:  # decisions are few per exchange
        for (remote, who, action, obs, code, note), when, iid in zip(
                new[[KEY, "who", "action", "observationID", "individualID", "note"]].itertuples(index=False),
                at, ids, strict=True):
            did = conn.execute(CatalogueDecision.__table__.insert().values(
                at=when.to_pydatetime(), who=who, action=action, individual_id=None if pd.isna(iid) else int(iid),
                note=note or None, fields={"sync": {"peer": peer, "partner": partner, "project": project,
                                                    "decision": remote, "observationID": obs,
                                                    "individualID": code}})).inserted_primary_key[0]
            load.insert_ignore(conn, SyncDecision.__tablename__,
                               ["peer", "partner", "project", "remote_id", "decision_id"],
                               {"peer": [peer], "partner": [partner], "project": [project], "remote_id": [remote],
                                "decision_id": [int(did)]})
    return len(new)


def read_decisions(folder: Path) -> pd.DataFrame:
    """The decisions resource of a package folder as text (empty when absent)."""
    path = folder / FILE
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
