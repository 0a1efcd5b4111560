"""The demo's identification step: photos of the simulated cats, two catalogues, one reconciliation, a review queue.

Synthetic coat photos are rendered for a subset of the simulated tigers and leopards, each partner
photographing the animals it catalogued (the coat of a true animal is the same whoever photographs it).
Each partner's photos become its catalogue (reference photos per flank in the store); one partner's
catalogue is matched against the other's, the proposed pairs above the threshold are accepted as a reviewer
would (decisions by "demo-reviewer"), and the accepted pairs are scored against the truth. A few new photos
are then identified into the review queue, where they wait for a person. Each new photo gets a media row in the
deployment and at the time of an event of that cat which the partner photographed but could not identify, so the
review page shows its date, station and camera as it would for a partner's own photo.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bigcats.identify import catalogue as cat
from bigcats.identify.coats import SIDES, render
from bigcats.identify.errors import UnidentifiableImage
from bigcats.identify.features import extract
from bigcats.identify.index import build_catalogue
from bigcats.identify.match import MatchParams, match_features
from bigcats.identify.reconcile import reconcile
from bigcats.store.query import catalogue_aliases

SPECIES_KEYS = {"Panthera tigris altaica": "tiger", "Panthera pardus orientalis": "leopard"}
QUERY_SOURCE = "bigcats-demo-query:"  # media source ids of the demo's new photos (one per file, so re-runs add none)
REVIEWER = "demo-reviewer"
LEVEL = "moderate"


def _subset(codes: pd.DataFrame, species: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Up to n true animals of a species, those catalogued on both sides first (the ones to reconcile)."""
    c = codes[codes["scientificName"] == species]
    sides = c.groupby("trueID")["partner"].nunique()
    both = sides.index[sides.to_numpy() > 1].to_numpy()
    one = sides.index[sides.to_numpy() == 1].to_numpy()
    n_both = min(len(both), max(n - n // 3, 1))  # keep some one-sided animals: they must not be paired
    chosen = np.concatenate([rng.permutation(both)[:n_both], rng.permutation(one)[: n - n_both]])
    return c[c["trueID"].isin(chosen)]


def _shoot(rows: pd.DataFrame, key: str, photos: int, first: int, folder: Path, seed: int) -> pd.DataFrame:
    """Render and write `photos` photos (alternating flanks) of each (partner, code, trueID) row."""
    out = []
    for r in rows.itertuples(index=False):  # one rendering per photo
        for j in range(first, first + photos):
            side = SIDES[j % 2]
            img, box, ir = render(key, str(r.trueID), side, j, LEVEL, seed)
            name = f"{r.partner}/{r.partnerCode}_{j:03d}_{side}.jpg"
            (folder / r.partner).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / name), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
            out.append((str(folder / name), r.partner, r.partnerCode, r.trueID, side, f"{r.partner}-{r.partnerCode}-e{j // 2}",
                        r.scientificName, r.sex, ir, img, box))
    return pd.DataFrame(out, columns=["path", "partner", "partnerCode", "trueID", "side", "encounter", "scientificName",
                                      "sex", "infrared", "pixels", "box"])


def _features(shots: pd.DataFrame, work_size: int = 512) -> tuple[pd.DataFrame, list, pd.DataFrame]:
    feats, keep, refused = [], [], []
    for i, (img, box, path) in enumerate(zip(shots["pixels"], shots["box"], shots["path"], strict=True)):
        try:
            feats.append(extract(img, box, source=path, work_size=work_size))
            keep.append(i)
        except UnidentifiableImage as err:  # reported, never dropped in silence
            refused.append((path, err.reason, err.detail))
    return shots.iloc[keep].reset_index(drop=True), feats, pd.DataFrame(refused, columns=["image", "reason", "detail"])


def _labels(shots: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"image": shots["path"], "individual": shots["partnerCode"], "side": shots["side"],
                         "scientificName": shots["scientificName"], "encounter": shots["encounter"]})


def _encounters(shots: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"encounterID": shots["path"].map(lambda p: Path(p).stem), "individualID": shots["partnerCode"],
                         "side": shots["side"], "sex": shots["sex"], "mediaAsset": shots["path"],
                         "scientificName": shots["scientificName"]})


def query_media(engine: Engine, events: pd.DataFrame, partner: str, species: str, shots: pd.DataFrame) -> list[int | None]:
    """A media row for each new photo (path, trueID), in the deployment and at the time of an event of that cat
    the partner photographed but did not identify (else any event of the cat, else of the species, at the partner);
    the same file gets the same row on every run. None where the partner has no such event."""
    from sqlalchemy import select

    from bigcats.store.models import Deployment, Media, Partner, Project

    ev = events[(events["partner"] == partner) & (events["scientificName"] == species)].sort_values(["eventStart", "eventID"])
    out: list[int | None] = []
    with engine.begin() as conn:
        deps = dict(conn.execute(select(Deployment.source_id, Deployment.id).join(Project, Deployment.project_id == Project.id)
                                 .join(Partner, Project.partner_id == Partner.id).where(Partner.code == partner)).all())
        for path, true_id in zip(shots["path"], shots["trueID"], strict=True):
            mine = ev[ev["trueID"] == true_id]
            pick = next((c for c in (mine[~mine["identified"]], mine, ev) if len(c)), None)
            dep = None if pick is None else deps.get(str(pick["deploymentID"].iloc[0]))
            if dep is None:
                out.append(None)
                continue
            source = QUERY_SOURCE + Path(path).name
            found = conn.execute(select(Media.id).where(Media.deployment_id == dep, Media.source_id == source)).scalar()
            if found is None:
                start = pd.Timestamp(pick["eventStart"].iloc[0])
                start = start.tz_convert("UTC").tz_localize(None) if start.tzinfo else start
                offset = conn.execute(select(Deployment.utc_offset).where(Deployment.id == dep)).scalar() or 0
                found = conn.execute(Media.__table__.insert().values(
                    deployment_id=dep, source_id=source, capture_method="activityDetection",
                    timestamp_utc=start.to_pydatetime(), utc_offset=int(offset), file_path=str(Path(path).resolve()),
                    file_public=False, file_name=Path(path).name, file_mediatype="image/jpeg")).inserted_primary_key[0]
            out.append(int(found))
    return out


def run_identification(engine: Engine, truth, out: Path, seed: int = 1, individuals_per_species: int = 12,
                       photos: int = 4, species: dict[str, str] | None = None) -> dict:
    """Photograph a subset of the simulated cats, reconcile the two partners' catalogues, fill the review queue.

    species: scientific name to coat key (`identify.coats`); the tiger and the Amur leopard unless given.
    """
    t0 = time.perf_counter()
    out = Path(out)
    folder = out / "identification" / "photos"
    rng = np.random.default_rng(seed)
    codes = truth.codes
    params = MatchParams()
    report: dict = {"level": LEVEL, "threshold": params.threshold, "species": {}}
    for species, key in (species or SPECIES_KEYS).items():
        chosen = _subset(codes, species, individuals_per_species, rng)
        partners = chosen["partner"].value_counts().index.tolist()
        if len(partners) < 2:
            report["species"][species] = {"skipped": "fewer than two partners catalogued this species"}
            continue
        a, b = sorted(partners[:2])
        shots = {p: _shoot(chosen[chosen["partner"] == p], key, photos, 0 if p == a else 100, folder, seed) for p in (a, b)}
        used, feats, refused = {}, {}, []
        for p in (a, b):
            used[p], feats[p], r = _features(shots[p])
            refused.append(r.assign(partner=p))
            cat.import_wildbook(engine, _encounters(used[p]), species, p, who=REVIEWER)
        cat_a = build_catalogue(_labels(used[a]), feats[a])
        pairs = reconcile(cat_a, _labels(used[b]), feats[b], params)
        accepted = cat.accept_pairs(engine, pairs, a, b, who=REVIEWER)
        truth_pairs = chosen.pivot_table(index="trueID", columns="partner", values="partnerCode", aggfunc="first").dropna()
        true_set = set(zip(truth_pairs[a], truth_pairs[b], strict=True))
        acc_set = set(zip(accepted["individual_a"], accepted["individual_b"], strict=True))
        correct = len(acc_set & true_set)
        # New photos of animals partner A knows, plus one of an animal it has never seen, into the review queue.
        known = chosen[chosen["partner"] == a].head(3)
        stranger = codes[(codes["scientificName"] == species) & ~codes["trueID"].isin(chosen["trueID"])].head(1)
        new_shots = _shoot(pd.concat([known, stranger.assign(partner=a, partnerCode="unknown-" + stranger["trueID"])]),
                           key, 1, 200, folder, seed)
        q_used, q_feats, q_refused = _features(new_shots)
        q_media = query_media(engine, truth.events, a, species, q_used)
        refused.append(q_refused.assign(partner=a))
        alias = catalogue_aliases(engine)
        alias = alias[(alias["partner"] == a) & (alias["scientificName"] == species)]
        shared = dict(zip(alias["partnerCode"], alias["individualID"], strict=True))
        cat_q = replace(cat_a, images=cat_a.images.assign(individual=cat_a.images["individual"].map(shared)))
        queued, decisions = 0, []
        for i, f in enumerate(q_feats):  # one match per new photo
            res = match_features(f, cat_q, species, str(q_used["side"].iloc[i]), params)
            rows = cat.proposals_from_match(res).assign(image=q_used["path"].iloc[i], scientificName=species,
                                                         side=q_used["side"].iloc[i], media_id=q_media[i])
            queued += cat.propose(engine, rows, method="rootsift-lnbnn-ransac", partner=a)
            expected = shared.get(q_used["partnerCode"].iloc[i])
            decisions.append({"image": Path(q_used["path"].iloc[i]).name, "truth": expected or "new individual",
                              "proposed": None if res.new_individual else str(res.candidates["individual"].iloc[0]),
                              "score": round(float(res.best_score), 2)})
        report["species"][species] = {
            "partners": [a, b], "individuals": int(chosen["trueID"].nunique()), "photos": int(sum(len(s) for s in shots.values())),
            "infrared": int(sum(s["infrared"].sum() for s in shots.values())),
            "true_pairs": len(true_set), "proposed_pairs": int(pairs["proposed"].sum()) if len(pairs) else 0,
            "accepted": len(acc_set), "correct": correct,
            "merged": int((accepted["status"] == "merged").sum()), "already_one": int((accepted["status"] == "already one").sum()),
            "precision": correct / len(acc_set) if acc_set else None,
            "recall": correct / len(true_set) if true_set else None,
            "queued_for_review": queued, "new_photos": decisions,
            "new_photos_with_media": sum(m is not None for m in q_media),
            "refused": pd.concat(refused, ignore_index=True).to_dict(orient="records"),
        }
    report["review_queue"] = int(len(cat.pending(engine)))
    report["decisions"] = int(len(cat.history(engine)))
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report
