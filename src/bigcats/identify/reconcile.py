"""Cross-border reconciliation: propose pairs of individuals in two partners' catalogues that are one animal.

Every photo of catalogue B is matched against catalogue A (same species, same flank); the evidence for a
pair (B individual, A individual) is the best verified score over B's photos and the number of B photos
that put that A individual first. Pairs at or above the threshold are proposed, mutual best matches first;
a person accepts them, and an accepted pair becomes two aliases of one individual.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import ImageFeatures
from bigcats.identify.index import Catalogue, build_catalogue, extract_folder
from bigcats.identify.match import MatchParams, match_features


def reconcile(cat_a: Catalogue, images_b: pd.DataFrame, feats_b: list[ImageFeatures], params: MatchParams = MatchParams(), top: int = 3) -> pd.DataFrame:
    """Candidate pairs: individual_b, individual_a, species, side, score, photos_b, votes_first, mutual_best, proposed."""
    if len(images_b) != len(feats_b):
        raise IdentifyError(f"{len(feats_b)} feature sets for {len(images_b)} photos of catalogue B")
    rows = []
    for i in range(len(images_b)):  # one match per photo of B
        sp, side = str(images_b["scientificName"].iloc[i]), str(images_b["side"].iloc[i])
        if f"{sp}|{side}" not in cat_a.partitions:
            continue  # catalogue A has no such flank: nothing to compare, not an error
        res = match_features(feats_b[i], cat_a, sp, side, params)
        c = res.candidates.head(top)
        rows.append(pd.DataFrame({
            "individual_b": str(images_b["individual"].iloc[i]),
            "individual_a": c["individual"].to_numpy(),
            "scientificName": sp,
            "side": side,
            "score": c["score"].to_numpy(),
            "first": c["rank"].to_numpy() == 1,
        }))
    cols = ["individual_b", "individual_a", "scientificName", "side", "score", "photos_b", "votes_first", "mutual_best", "proposed"]
    if not rows:
        return pd.DataFrame(columns=cols)
    ev = pd.concat(rows, ignore_index=True)
    pairs = ev.groupby(["individual_b", "individual_a", "scientificName"], as_index=False).agg(
        side=("side", lambda s: ",".join(sorted(set(s)))), score=("score", "max"), photos_b=("score", "size"), votes_first=("first", "sum"))
    best_a = pairs.loc[pairs.groupby("individual_b")["score"].idxmax(), ["individual_b", "individual_a"]]
    best_b = pairs.loc[pairs.groupby("individual_a")["score"].idxmax(), ["individual_b", "individual_a"]]
    key = pairs["individual_b"] + "\x00" + pairs["individual_a"]
    pairs["mutual_best"] = key.isin(best_a["individual_b"] + "\x00" + best_a["individual_a"]) & key.isin(best_b["individual_b"] + "\x00" + best_b["individual_a"])
    pairs["proposed"] = pairs["mutual_best"] & (pairs["score"] >= params.threshold)
    return pairs.sort_values(["proposed", "score"], ascending=False, kind="stable").reset_index(drop=True)[cols]


def reconcile_folders(folder_a: str | Path, folder_b: str | Path, params: MatchParams = MatchParams()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reconcile two labelled photo folders; returns (pairs, photos refused in either with the reason)."""
    labels_a, feats_a, refused_a = extract_folder(folder_a)
    labels_b, feats_b, refused_b = extract_folder(folder_b)
    if not feats_a or not feats_b:
        raise IdentifyError(f"no usable photo in {folder_a if not feats_a else folder_b}")
    cat_a = build_catalogue(labels_a, feats_a)
    refused = pd.concat([refused_a.assign(catalogue="A"), refused_b.assign(catalogue="B")], ignore_index=True)
    return reconcile(cat_a, labels_b, feats_b, params), refused


def accept(pairs: pd.DataFrame) -> pd.DataFrame:
    """Alias table from accepted pairs: one bigcats individual per pair, with both partners' codes."""
    ok = pairs[pairs["proposed"]] if "proposed" in pairs.columns else pairs
    dup = ok["individual_a"].duplicated(keep=False) | ok["individual_b"].duplicated(keep=False)
    if dup.any():
        raise IdentifyError(f"individual(s) {', '.join(sorted(set(ok.loc[dup, 'individual_a']) | set(ok.loc[dup, 'individual_b'])))} appear in more than one accepted pair")
    return pd.DataFrame({"individualID": ok["individual_a"].to_numpy(), "alias_a": ok["individual_a"].to_numpy(), "alias_b": ok["individual_b"].to_numpy(), "scientificName": ok["scientificName"].to_numpy()})
