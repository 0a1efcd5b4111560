"""Evaluation of the matcher on any labelled folder of photos, by photo and by encounter, as the field reports it.

Each photo is matched against all the others of its species and compatible flanks, leaving out every photo of
its own encounter (photos of one visit share pose, light and background, which would flatter the matcher). A
second, open-set pass also leaves out every other photo of the same individual, so that the "new individual"
decision is measured on animals the catalogue truly lacks.

By encounter (the unit a person identifies: one station, one night), the scores of an encounter's photos are
pooled per candidate individual, and the encounter is one query. Confidence intervals come from a bootstrap
over encounters (photos of one encounter are not independent); the per-individual table and the error
sources say where the remaining errors come from.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.identify.calibrate import cross_validated, curve, operating_point
from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import ImageFeatures
from bigcats.identify.index import build_catalogue, extract_folder, read_labels
from bigcats.identify.match import MatchParams, compatible_sides, rank_all

POOLING = ("max", "sum", "mean")


_SHARED: dict = {}  # the catalogue and features a forked worker inherits (nothing is pickled)


LEAVE_OUT = ("encounter", "station")


def _left_out(images: pd.DataFrame, leave_out: str) -> np.ndarray:
    """The label each query leaves out of the catalogue with itself: its encounter, or its whole station."""
    if leave_out not in LEAVE_OUT:
        raise IdentifyError(f"leave out {leave_out!r}: expected encounter or station")
    if leave_out == "station" and "station" not in images.columns:
        raise IdentifyError("leaving each query's station out needs a station column in the labels")
    return images[leave_out].astype(str).to_numpy()


def _score_rows(rows: list[int]) -> pd.DataFrame:
    cat, feats, params = _SHARED["cat"], _SHARED["feats"], _SHARED["params"]
    images = cat.images
    names, code = np.unique(images["individual"].astype(str).to_numpy(), return_inverse=True)
    enc = _left_out(images, _SHARED.get("leave_out", "encounter"))
    species = images["scientificName"].astype(str).to_numpy()
    sides = images["side"].astype(str).to_numpy()
    # Enough spare neighbours that leaving out a whole individual (one cat may hold half the set) does not
    # starve the vote, which would flatter the open-set figures.
    spare = max(params.extra, 40)
    frames = []
    for i in rows:  # one query per photo: search once, vote and verify twice
        same_enc = enc == enc[i]
        cache: dict = {}
        for is_open, excluded in ((False, same_enc), (True, same_enc | (code == code[i]))):
            cand = rank_all(feats[i], cat, species[i], sides[i], code, names, excluded, params, cache, spare)
            frames.append(pd.DataFrame({"photo": i, "open": is_open, "code": cand["code"].to_numpy(int),
                                        "score": cand["score"].to_numpy(float), "lnbnn": cand["lnbnn"].to_numpy(float)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["photo", "open", "code", "score", "lnbnn"])


def score_table(cat, feats: list[ImageFeatures], params: MatchParams = MatchParams(), workers: int = 1,
                leave_out: str = "encounter") -> pd.DataFrame:
    """Every photo's candidate scores, closed set (own encounter left out) and open set (own individual left out too).

    `leave_out="station"` leaves every photo of the query's station out instead of its encounter: no shared rock,
    trunk or camera can help, so what is found is found by the coat (cross-camera re-identification).

    Columns: photo (row of cat.images), open (bool), code (individual), score (verified), lnbnn. With `workers` > 1
    the photos are shared out to forked processes (each one core), which inherit the catalogue.
    """
    import multiprocessing as mp

    _left_out(cat.images, leave_out)  # refuse a bad choice before forking workers
    _SHARED.update(cat=cat, feats=feats, params=params, leave_out=leave_out)
    try:
        rows = list(range(len(cat.images)))
        if workers <= 1 or len(rows) < 20 or "fork" not in mp.get_all_start_methods():
            return _score_rows(rows)
        chunks = [rows[k::workers * 4] for k in range(workers * 4)]
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_score_rows, chunks)
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["photo", "open"], kind="stable").reset_index(drop=True)
    finally:
        _SHARED.clear()


def _has_reference(images: pd.DataFrame, rows: np.ndarray, code: np.ndarray, leave_out: str = "encounter") -> bool:
    """Does the individual of these photos have a comparable photo outside their encounter (or station)?"""
    i = rows[0]
    enc = _left_out(images, leave_out)
    species = images["scientificName"].astype(str).to_numpy()
    sides = images["side"].astype(str).to_numpy()
    ok_side = np.isin(sides, sorted({s for r in rows for s in compatible_sides(sides[r])}))
    return bool(((code == code[i]) & (enc != enc[i]) & (species == species[i]) & ok_side).any())


def queries(cat, scores: pd.DataFrame, by: str = "encounter", pool: str = "max", leave_out: str = "encounter") -> pd.DataFrame:
    """One row per query (a photo, or an encounter's photos pooled): rank of the truth, best scores, best guesses."""
    if by not in ("photo", "encounter"):
        raise IdentifyError(f"evaluate by {by!r}: expected photo or encounter")
    if pool not in POOLING:
        raise IdentifyError(f"pooling {pool!r}: expected one of {', '.join(POOLING)}")
    images = cat.images
    names, code = np.unique(images["individual"].astype(str).to_numpy(), return_inverse=True)
    group = np.arange(len(images)) if by == "photo" else pd.factorize(images["encounter"].astype(str))[0]
    s = scores.assign(group=group[scores["photo"].to_numpy(int)]) if len(scores) else scores.assign(group=[])
    n_photos = np.bincount(group, minlength=group.max() + 1 if len(group) else 0)
    agg = s.groupby(["group", "open", "code"], as_index=False).agg(score=("score", pool if pool != "mean" else "sum"), lnbnn=("lnbnn", "sum"))
    if pool == "mean":  # photos without a vote for a candidate count as zero
        agg["score"] = agg["score"] / n_photos[agg["group"].to_numpy()]
    agg = agg.sort_values(["group", "open", "score", "lnbnn"], ascending=[True, True, False, False], kind="stable")
    rows = []
    by_key = {k: g for k, g in agg.groupby(["group", "open"], sort=False)}
    for gi in range(int(group.max()) + 1 if len(group) else 0):
        members = np.flatnonzero(group == gi)
        i = members[0]
        closed = by_key.get((gi, False))
        opened = by_key.get((gi, True))
        if closed is not None and len(closed):
            hit = np.flatnonzero(closed["code"].to_numpy() == code[i])
            rank = int(hit[0]) + 1 if len(hit) else np.inf
            best, best_ind = float(closed["score"].iloc[0]), names[int(closed["code"].iloc[0])]
            true_score = float(closed["score"].iloc[hit[0]]) if len(hit) else 0.0
        else:
            rank, best, best_ind, true_score = np.inf, 0.0, None, 0.0
        obest = float(opened["score"].iloc[0]) if opened is not None and len(opened) else 0.0
        oind = names[int(opened["code"].iloc[0])] if opened is not None and len(opened) else None
        rows.append({
            "query": images["image"].iloc[i] if by == "photo" else images["encounter"].iloc[i],
            "encounter": images["encounter"].iloc[i],
            "photos": int(len(members)),
            "individual": names[code[i]],
            "partition": f"{images['scientificName'].iloc[i]}|{images['side'].iloc[i]}",
            "has_reference": _has_reference(images, members, code, leave_out),
            "rank": rank,
            "best_score": best,
            "best_individual": best_ind,
            "true_score": true_score,
            "open_set_best_score": obest,
            "open_set_best_individual": oind,
        })
    return pd.DataFrame(rows)


def metrics(q: pd.DataFrame, threshold: float) -> dict:
    """Top-1, top-5, mAP and the error rates at a threshold, from per-query ranks and scores."""
    closed = q[q["has_reference"].astype(bool)]
    if closed.empty:
        raise IdentifyError("no photo has a reference of the same individual and flank outside its own encounter")
    r = closed["rank"].to_numpy(float)
    declared = closed["best_score"].to_numpy() >= threshold
    return {
        "queries": int(len(closed)),
        "individuals": int(closed["individual"].nunique()),
        "top1": float(np.mean(r <= 1)),
        "top5": float(np.mean(r <= 5)),
        # One relevant individual per query: average precision is the reciprocal rank of the true one.
        "mAP": float(np.mean(np.where(np.isfinite(r), 1 / r, 0.0))),
        "false_new_rate": float(np.mean(~declared)),
        "wrong_match_rate": float(np.mean(declared & (r > 1))),
        # Every query again with its own individual removed from the catalogue: any "known" verdict is wrong.
        "open_set_wrong_match_rate": float(np.mean(q["open_set_best_score"].to_numpy() >= threshold)),
        "threshold": threshold,
    }


CI_KEYS = ("top1", "top5", "mAP", "false_new_rate", "wrong_match_rate", "open_set_wrong_match_rate")


def bootstrap_ci(q: pd.DataFrame, threshold: float, n: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Percentile confidence intervals of the metrics, resampling encounters (clusters) with replacement."""
    enc = pd.factorize(q["encounter"].astype(str))[0]
    n_enc = int(enc.max()) + 1 if len(enc) else 0
    if n_enc < 2:
        return {}
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(enc == e) for e in range(n_enc)]
    draws = {k: [] for k in CI_KEYS}
    for _ in range(n):
        pick = rng.integers(0, n_enc, n_enc)
        sample = q.iloc[np.concatenate([members[e] for e in pick])]
        if not sample["has_reference"].any():
            continue
        m = metrics(sample, threshold)
        for k in CI_KEYS:
            draws[k].append(m[k])
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {k: [float(np.percentile(v, lo)), float(np.percentile(v, hi))] for k, v in draws.items() if v}


def per_individual(q: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """What went right and wrong for each individual: queries, top-1/top-5 hits, false new, wrong matches, confusions."""
    rows = []
    for ind, g in q.groupby("individual", sort=True):
        c = g[g["has_reference"].astype(bool)]
        r = c["rank"].to_numpy(float)
        declared = c["best_score"].to_numpy() >= threshold
        wrong = c[(c["rank"] > 1)]
        rows.append({
            "individual": ind,
            "encounters": int(g["encounter"].nunique()),
            "photos": int(g["photos"].sum()),
            "queries": int(len(c)),
            "top1": int((r <= 1).sum()),
            "top5": int((r <= 5).sum()),
            "false_new": int((~declared).sum()),
            "wrong_match": int((declared & (r > 1)).sum()),
            "confused_with": ", ".join(f"{k} ({v})" for k, v in wrong["best_individual"].value_counts().items()) or "",
            "open_set_false_known": int((g["open_set_best_score"] >= threshold).sum()),
        })
    return pd.DataFrame(rows)


def error_sources(q: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """Each closed-set query whose truth is not first, with the likeliest reason, from what the labels tell."""
    closed = q[q["has_reference"].astype(bool) & (q["rank"] > 1)]
    enc_station = images.groupby("encounter")["station"].first() if "station" in images.columns else None
    infrared = images.groupby("encounter")["infrared"].mean() if "infrared" in images.columns else None
    ind_encs = images.groupby("individual")["encounter"].unique()
    rows = []
    for rec in closed.to_dict(orient="records"):
        enc = rec["encounter"]
        reasons = []
        if not np.isfinite(rec["rank"]):
            reasons.append("its own individual got no verified vote")
        if enc_station is not None and rec["best_individual"] is not None:
            st = enc_station.get(enc)
            wrong_at = set(enc_station.reindex(ind_encs.get(rec["best_individual"], [])).dropna())
            if st in wrong_at:
                reasons.append("the wrong cat was photographed at the same station (shared background)")
        if infrared is not None:
            own = [e for e in ind_encs.get(rec["individual"], []) if e != enc]
            q_ir = infrared.get(enc, np.nan) > 0.5
            refs_ir = infrared.reindex(own).to_numpy() > 0.5
            if len(refs_ir) and (refs_ir != q_ir).all():
                reasons.append("night infrared against daylight references only" if q_ir else "daylight against infrared references only")
        if not rec.get("comparable", True):  # from a person's audit of what each encounter shows (identify.views)
            reasons.append("no body region in common with the cat's other encounters")
        if rec["partition"].endswith("|unknown"):
            reasons.append("flank unknown")
        if not reasons:
            reasons.append("other (pose, partial body, blur)")
        rows.append({"query": rec["query"], "individual": rec["individual"], "rank": rec["rank"], "best_individual": rec["best_individual"],
                     "best_score": rec["best_score"], "true_score": rec["true_score"], "reasons": "; ".join(reasons)})
    return pd.DataFrame(rows, columns=["query", "individual", "rank", "best_individual", "best_score", "true_score", "reasons"])


def _summary(q: pd.DataFrame, threshold: float, n_boot: int) -> dict:
    out = metrics(q, threshold)
    if n_boot:
        out["ci95"] = bootstrap_ci(q, threshold, n_boot)
    return out


def evaluate_folder(
    folder: str | Path,
    threshold: float | None = None,
    params: MatchParams = MatchParams(),
    work_size: int = 512,
    pool: str = "mean",
    max_wrong_match: float = 0.05,
    n_boot: int = 1000,
    static_background: bool = True,
    burst_background: bool = True,
    upscale: bool = False,
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    views: str | Path | pd.DataFrame | None = None,
    leave_out: str = "encounter",
) -> dict:
    """Evaluate identification on a labelled folder, by photo and by encounter, with the trade-off curve.

    The top-level figures are by photo (as before, at `threshold` or the matcher's default); `by_encounter`
    holds the same figures with each encounter's photos pooled, `curve` the false-new/wrong-match trade-off by
    encounter, and `operating_point` the lowest threshold whose wrong-match rate by encounter is within
    `max_wrong_match`: calibrated on this very set, so optimistic for a new one; its `cross_validated` entry gives
    the rates with each individual's encounters judged at a threshold chosen on the other individuals only.
    `views` (an audit table or its path, see `identify.views`) adds `comparable`: the figures on the encounters
    that share a body region with another encounter of their cat, and how many lie beyond any coat matcher.
    `leave_out="station"` judges every query against the other stations' photos only (see `score_table`).
    """
    params = params if threshold is None else replace(params, threshold=threshold)
    labels = read_labels(folder)
    _left_out(labels, leave_out)  # a bad choice fails now, not after the extraction
    audit = None
    if views is not None:  # read before the photos: a bad audit fails in a second, not after the extraction
        from bigcats.identify.views import mark_comparable, read_views

        audit = views if isinstance(views, pd.DataFrame) else read_views(views)
    import os

    workers = (os.cpu_count() or 1) if workers is None else workers
    usable, feats, refused = extract_folder(folder, labels, work_size=work_size, static_background=static_background,
                                            burst_background=burst_background, upscale=upscale, workers=workers, cache_dir=cache_dir)
    if len(usable) < 2:
        raise IdentifyError(f"{folder}: fewer than two usable photos ({len(refused)} refused)")
    cat = build_catalogue(usable, feats, nprobe=params_nprobe(len(usable)), work_size=work_size)
    scores = score_table(cat, feats, params, workers=workers, leave_out=leave_out)
    qp = queries(cat, scores, "photo", leave_out=leave_out)
    qe = queries(cat, scores, "encounter", pool, leave_out=leave_out)
    if audit is not None:
        held = None if leave_out == "encounter" else dict(zip(usable["encounter"].astype(str), _left_out(usable, leave_out), strict=True))
        qe = mark_comparable(qe, audit, str(views) if not isinstance(views, pd.DataFrame) else "the audit", held)
    c = curve(qe)
    try:
        op = operating_point(c, max_wrong_match)
    except IdentifyError:
        op = None
    result = {"folder": str(folder), "photos": int(len(labels)), "refused": refused.to_dict(orient="records"),
              "settings": {**asdict(params), "work_size": work_size, "pool": pool, "leave_out": leave_out, "static_background": static_background,
                           "burst_background": burst_background, "upscale": upscale},
              **_summary(qp, params.threshold, n_boot)}
    result["per_partition"] = {k: metrics(g, params.threshold) for k, g in qp.groupby("partition") if g["has_reference"].any()}
    result["by_encounter"] = _summary(qe, params.threshold, n_boot)
    if op is not None:
        result["operating_point"] = {**op, "max_wrong_match": max_wrong_match, "by_encounter": _summary(qe, op["threshold"], n_boot)}
        try:  # the same rates with no encounter helping to choose its own threshold (leave one individual out)
            result["operating_point"]["cross_validated"] = cross_validated(qe, max_wrong_match, "individual")
        except IdentifyError:
            pass
    thr_used = op["threshold"] if op is not None else params.threshold
    result["by_encounter"]["per_partition"] = {k: metrics(g, thr_used) for k, g in qe.groupby("partition") if g["has_reference"].any()}
    if "level" in usable.columns and usable["level"].nunique() > 1:
        lv = usable.set_index("image")["level"]
        result["per_level"] = {str(k): metrics(g, params.threshold) for k, g in qp.groupby(qp["query"].map(lv))}
    if "comparable" in qe.columns:
        result["comparable"] = comparable_summary(qe, thr_used, n_boot)
    result["size_prior"] = size_prior(qe, usable, leave_out)
    result["curve"] = c
    result["per_individual"] = per_individual(qe, thr_used)
    result["errors"] = error_sources(qe, usable)
    result["queries_table"] = qp
    result["encounter_table"] = qe
    return result


def comparable_summary(qe: pd.DataFrame, threshold: float, n_boot: int = 0) -> dict:
    """Figures on the encounters an appearance matcher can answer, and the ceiling the others set on top-1/top-5.

    `qe` is a per-encounter query table with a `comparable` column (`identify.views.mark_comparable`). The ceiling
    counts every comparable encounter as found: the best any matcher that ignores the background can do, unless
    it is lucky on the others.
    """
    closed = qe[qe["has_reference"].astype(bool)]
    ok = closed["comparable"].astype(bool)
    out: dict = {"encounters": int(len(closed)), "comparable": int(ok.sum()), "beyond_coat": int((~ok).sum()),
                 "top1_ceiling": float(ok.mean()) if len(closed) else float("nan"),
                 "found_beyond_coat": int((closed.loc[~ok, "rank"] <= 1).sum())}
    if ok.any():
        out["by_encounter"] = _summary(closed[ok], threshold, n_boot)
    return out


def size_prior(qe: pd.DataFrame, images: pd.DataFrame, leave_out: str = "encounter") -> dict:
    """Top-1 and top-5 of a "matcher" that looks at no photo: individuals ranked by their photos in the catalogue.

    On an imbalanced set (one cat with half the photos) this base rate is what a matcher must beat; it is computed
    on the same queries (each leaving its own encounter, or station, out), and on the comparable ones when `qe` has
    that column.
    """
    held = _left_out(images, leave_out)
    enc = images["encounter"].astype(str).to_numpy()
    closed = qe[qe["has_reference"].astype(bool)]
    if closed.empty:
        raise IdentifyError("no query has a reference of its individual outside its own encounter")
    species = images["scientificName"].astype(str) if "scientificName" in images.columns else pd.Series("", index=images.index)
    ranks = []
    for rec in closed.to_dict(orient="records"):
        own = (enc == str(rec["encounter"])) & (images["individual"].astype(str) == str(rec["individual"])).to_numpy()
        mine = pd.Series(held == held[own][0], index=images.index)
        sp = species[own]
        rest = images[~mine & species.isin(set(sp))]
        counts = rest["individual"].astype(str).value_counts()
        order = sorted(counts.index, key=lambda k: (-counts[k], k))  # ties by name: no luck either way
        ranks.append(order.index(str(rec["individual"])) + 1 if str(rec["individual"]) in counts.index else np.inf)
    r = np.array(ranks, float)
    out = {"queries": int(len(r)), "top1": float(np.mean(r <= 1)), "top5": float(np.mean(r <= 5))}
    if "comparable" in closed.columns:
        ok = closed["comparable"].astype(bool).to_numpy()
        if ok.any():
            out["comparable"] = {"queries": int(ok.sum()), "top1": float(np.mean(r[ok] <= 1)), "top5": float(np.mean(r[ok] <= 5))}
    return out


def params_nprobe(n_images: int) -> int:
    """Inverted lists probed: generous for small evaluation sets, where accuracy matters more than speed."""
    return 32 if n_images < 2000 else 16


def threshold_sweep(q: pd.DataFrame, thresholds: np.ndarray) -> pd.DataFrame:
    """False-new and wrong-match rates over a range of thresholds, to choose one."""
    return pd.DataFrame([metrics(q, float(t)) for t in thresholds])
