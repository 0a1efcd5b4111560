"""The new-individual decision, calibrated on a labelled set: the trade-off curve, the operating point, words.

The matcher's best score says how much verified coat pattern a photo shares with its best candidate. Where to
cut ("below this, probably a cat the catalogue lacks") is a choice between two errors: calling a known cat new
(false new: a person must then find it by hand) and putting a photo on the wrong cat (wrong match: it corrupts
capture-recapture unless a person catches it). `curve` gives both rates at every threshold, measured by
encounter; `operating_point` picks the lowest threshold whose wrong-match rate stays within what the user
accepts; `confidence_words` turns a score into words a park scientist reads in the review queue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError

CURVE_COLUMNS = ["threshold", "false_new_rate", "wrong_match_rate", "open_set_false_known_rate", "correct_match_rate"]


def curve(queries: pd.DataFrame, thresholds: np.ndarray | None = None) -> pd.DataFrame:
    """False-new, wrong-match and open-set false-known rates at each threshold.

    `queries` has one row per query (photo or encounter): has_reference (the individual is in the catalogue
    outside the query's encounter), rank (of the true individual; inf if not found), best_score (closed set) and
    open_set_best_score (the same query with its individual removed from the catalogue).
    """
    missing = [c for c in ("has_reference", "rank", "best_score", "open_set_best_score") if c not in queries.columns]
    if missing:
        raise IdentifyError(f"query table lacks column(s) {', '.join(missing)}")
    closed = queries[queries["has_reference"].astype(bool)]
    if closed.empty:
        raise IdentifyError("no query has a reference of its individual outside its own encounter: nothing to calibrate on")
    best = closed["best_score"].to_numpy(float)
    first = closed["rank"].to_numpy(float) <= 1
    opened = queries["open_set_best_score"].to_numpy(float)
    if thresholds is None:
        pool = np.concatenate([best, opened, [0.0]])
        thresholds = np.unique(np.round(pool[np.isfinite(pool)], 6))
        thresholds = np.concatenate([thresholds, [thresholds.max() + 1e-6]])
    t = np.asarray(thresholds, float)[:, None]
    declared = best[None, :] >= t
    return pd.DataFrame({
        "threshold": t[:, 0],
        "false_new_rate": (~declared).mean(1),
        "wrong_match_rate": (declared & ~first[None, :]).mean(1),
        "open_set_false_known_rate": (opened[None, :] >= t).mean(1) if len(opened) else np.zeros(len(t)),
        "correct_match_rate": (declared & first[None, :]).mean(1),
    })


def operating_point(c: pd.DataFrame, max_wrong_match: float = 0.05, max_open_set: float | None = None) -> dict:
    """The lowest threshold (fewest false new) whose wrong-match rate (and open-set rate, if given) is within bounds."""
    if not 0 <= max_wrong_match <= 1:
        raise IdentifyError(f"max wrong-match rate {max_wrong_match} is not between 0 and 1")
    ok = c["wrong_match_rate"] <= max_wrong_match
    if max_open_set is not None:
        ok &= c["open_set_false_known_rate"] <= max_open_set
    if not ok.any():
        raise IdentifyError(f"no threshold keeps the wrong-match rate at or below {max_wrong_match:.1%}")
    row = c[ok].sort_values("threshold").iloc[0]
    return {k: float(row[k]) for k in CURVE_COLUMNS}


def cross_validated(queries: pd.DataFrame, max_wrong_match: float = 0.05, by: str = "individual") -> dict:
    """The operating point's rates as a new set would see them: each individual's queries judged at a threshold
    chosen on the other individuals' queries only (leave-one-`by`-out).

    `operating_point` on the whole set chooses the threshold on the very queries it then scores, which flatters
    it. Here no query helps choose its own threshold. Returns the pooled false-new, wrong-match, correct-match
    and open-set false-known rates, the folds used, and the threshold of each fold.
    """
    if by not in queries.columns:
        raise IdentifyError(f"query table lacks the column {by!r} to cross-validate by")
    groups = queries[by].astype(str)
    if groups.nunique() < 2:
        raise IdentifyError(f"cross-validation by {by} needs at least two of them, found {groups.nunique()}")
    declared, first, closed, opened, thresholds = [], [], [], [], {}
    for g in sorted(groups.unique()):
        train, test = queries[groups != g], queries[groups == g]
        try:
            thr = operating_point(curve(train), max_wrong_match)["threshold"]
        except IdentifyError:
            continue  # nothing to calibrate on without this group: the fold is left out, and counted as such
        thresholds[g] = thr
        has_ref = test["has_reference"].astype(bool).to_numpy()
        declared.append(test["best_score"].to_numpy(float)[has_ref] >= thr)
        first.append(test["rank"].to_numpy(float)[has_ref] <= 1)
        closed.append(has_ref.sum())
        opened.append(test["open_set_best_score"].to_numpy(float) >= thr)
    if not thresholds or sum(closed) == 0:
        raise IdentifyError(f"no fold by {by} had both a threshold and a query with a reference")
    d, f, o = np.concatenate(declared), np.concatenate(first), np.concatenate(opened)
    return {
        "by": by,
        "folds": len(thresholds),
        "queries": int(len(d)),
        "false_new_rate": float(np.mean(~d)),
        "wrong_match_rate": float(np.mean(d & ~f)),
        "correct_match_rate": float(np.mean(d & f)),
        "open_set_false_known_rate": float(np.mean(o)),
        "thresholds": thresholds,
        "max_wrong_match": max_wrong_match,
    }


# Bands of the score relative to the chosen threshold, and what each says to the person reviewing.
WORDS = (
    (2.0, "very likely the same cat"),
    (1.0, "probably the same cat"),
    (0.5, "possibly the same cat: compare the photos carefully"),
    (0.0, "probably a cat not in the catalogue"),
)


def confidence_words(score: float, threshold: float) -> str:
    """How sure the matcher is, in words, from a best score and the operating threshold it was calibrated at."""
    if threshold <= 0:
        raise IdentifyError(f"threshold {threshold} must be positive")
    if score is None or not np.isfinite(score):
        return "no match could be computed"
    ratio = float(score) / threshold
    for lower, words in WORDS:
        if ratio >= lower:
            return words
    return WORDS[-1][1]
