"""Maximum-likelihood spatially explicit capture-recapture (SCR), as in Efford's secr.

Detectors 'multi' (multi-catch: competing hazards, at most one detection per animal and occasion), 'proximity'
(binary per detector and occasion) and 'count' (Poisson); detection functions HN (g0 exp(-d²/2σ²)),
HHN (hazard λ0 exp(-d²/2σ²)) and EX (g0 exp(-d/σ)); usage per detector and occasion; full likelihood with
Poisson or binomial n, or the conditional likelihood with density derived as in secr's derived().
Proximity and count occasions enter the likelihood only through each detector's summed usage, which is
secr's `fastproximity` collapse; with integer usage the binomial coefficients secr's collapsed form carries are
included so log-likelihoods compare with secr's.

Everything is vectorised over animals x mask points x detectors; coordinates are projected metres, densities
are per hectare inside (as secr prints them) and per 100 km² in reports.
"""

from __future__ import annotations

import ctypes
import functools
import ctypes.util
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special, stats

from bigcats.population import polygon
from bigcats.population.capthist import CaptureHistory
from bigcats.population.errors import PopulationError, listed
from bigcats.population.hazard import caught_terms
from bigcats.population.mask import Mask, check_mask

DETECTFNS = ("HN", "HHN", "EX")
HA_PER_100KM2 = 10_000.0
Z975 = float(stats.norm.ppf(0.975))


@dataclass
class _Prepared:
    """Data arrays and constants that do not change during a fit."""

    ch: CaptureHistory
    mask: Mask
    detectfn: str
    d: np.ndarray  # detector x mask distances (or squared distances for HN/HHN)
    usage: np.ndarray  # K x S
    usage_sum: np.ndarray  # K
    caught: np.ndarray  # n x S
    y: np.ndarray  # n x K
    ysparse: sparse.csr_matrix
    const: np.ndarray  # n: terms of log Pr(history | x) free of parameters
    groups: np.ndarray  # n: class of each animal (0 when no covariate)
    group_names: list[str]
    logmultinom: float
    unit_usage: bool
    entries: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None  # proximity with fractional usage
    count_hazard: bool = False  # count data: secr's Poisson mean is the hazard -log(1 - g) (HN, EX)
    yt: sparse.csr_matrix | None = None  # y transposed (detectors x animals), for the adjoint gradient
    poly: object | None = None  # polygon/transect detectors: polygon.PolygonData


@contextmanager
def _arrays_on_the_heap(limit: int = 1 << 30):
    """Let glibc serve and keep large arrays on the heap while fitting, then restore its defaults.

    Every likelihood evaluation allocates and frees arrays of mask points x detectors (megabytes). By default
    glibc maps each from the kernel and unmaps it on free, so every evaluation pays page faults for fresh memory,
    which measured here cost 2-4 times the arithmetic. Raising the mmap and trim thresholds for the fit reuses
    the same pages. A no-op where glibc's mallopt is not available.
    """
    libc = None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, limit) and libc.mallopt(_M_TRIM_THRESHOLD, limit)
    except (OSError, AttributeError):
        ok = False
    try:
        yield
    finally:
        if ok:
            libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
            libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
            libc.malloc_trim(0)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def history_keys(ch: CaptureHistory, collapsed: bool) -> np.ndarray:
    """One hashable key per animal that is equal exactly when two animals' capture histories are identical.

    With `collapsed` (secr's fastproximity) a history is the detections summed over occasions at each detector,
    as secr compares them after reduce(); otherwise the full occasion x detector record.
    """
    if collapsed:
        y = ch.counts_by_trap()
        return np.array([row.tobytes() for row in y] + [b""], dtype=object)[:-1]
    order = np.lexsort((ch.trap, ch.occasion, ch.animal))
    rec = np.column_stack([ch.occasion, ch.trap, ch.count]).astype(float)[order]
    cuts = np.searchsorted(ch.animal[order], np.arange(ch.n + 1))
    return np.array([rec[cuts[i]:cuts[i + 1]].tobytes() for i in range(ch.n)] + [b""], dtype=object)[:-1]


def logmultinom(keys: np.ndarray, groups: np.ndarray) -> float:
    """secr's logmultinom(): log of n_g! / prod(n_w!) over the distinct histories w within each group g."""
    frame = pd.DataFrame({"g": np.asarray(groups), "h": np.asarray(keys)})
    per_history = frame.groupby(["g", "h"]).size().to_numpy()
    per_group = frame.groupby("g").size().to_numpy()
    return float(special.gammaln(per_group + 1).sum() - special.gammaln(per_history + 1).sum())


def _prepare(ch: CaptureHistory, mask: Mask, detectfn: str, groups: np.ndarray, group_names: list[str],
             fastproximity: bool, warnings: list[str] | None = None) -> _Prepared:
    if polygon.is_polygon_detector(ch.detector):
        y = ch.counts_by_trap()
        return _Prepared(ch, mask, detectfn, np.zeros((0, 0)), np.asarray(ch.usage, float), ch.usage.sum(1), ch.caught(),
                         # secr adds no multinomial constant for polygon and transect data (logmult <- 0 in its
                         # prepareSessionData: with a location per detection no two histories are the same)
                         y, sparse.csr_matrix(y), np.zeros(ch.n), groups, group_names, 0.0, True, None,
                         poly=polygon.prepare(ch, mask))
    diff = ch.xy[:, None, :] - mask.xy[None, :, :]
    d2 = np.einsum("kmc,kmc->km", diff, diff)  # detectors x mask points
    d = np.sqrt(d2) if detectfn == "EX" else d2
    usage = np.asarray(ch.usage, float)
    y = ch.counts_by_trap()
    u_rec = usage[ch.trap, ch.occasion]
    const = np.zeros(ch.n)
    entries = None
    collapsed = fastproximity and ch.detector in ("proximity", "count")
    usage_sum = usage.sum(1)
    if collapsed:
        # secr's fastproximity: reduce() to one occasion with each detector's summed usage, which secr passes to
        # C++ as an integer (as.integer truncates), the binomial size (proximity) or Poisson effort (count).
        total = usage_sum
        whole = np.floor(total + 1e-9)
        if np.any(np.abs(total - whole) > 1e-9):
            frac = ch.traps["trapID"].to_numpy()[np.abs(total - whole) > 1e-9]
            (warnings if warnings is not None else []).append(
                f"usage summed over occasions is not a whole number at detector {listed(frac.tolist(), 5)}; as in "
                "secr's fastproximity it is truncated to whole trap-days (binomial size) — fit with "
                "fastproximity=False for fractional effort")
        short = (y > whole[None, :]).any(0)
        if short.any():
            raise PopulationError(
                f"detector {listed(ch.traps['trapID'].to_numpy()[short].tolist())} has more detections of one animal "
                f"than whole occasions of usage (binomial size under fastproximity) — check the usage, or fit with "
                "fastproximity=False")
        usage_sum = whole
        if ch.detector == "proximity":
            const += (special.gammaln(whole + 1)[None, :] - special.gammaln(y + 1)
                      - special.gammaln(np.maximum(whole[None, :] - y, 0) + 1)).sum(1)
        else:
            with np.errstate(divide="ignore"):
                const += (np.where(y > 0, y * np.log(np.where(whole > 0, whole, 1.0))[None, :], 0.0)
                          - special.gammaln(y + 1)).sum(1)
    elif ch.detector == "multi":
        np.add.at(const, ch.animal, np.log(u_rec))
    elif ch.detector == "count":
        np.add.at(const, ch.animal, ch.count * np.log(u_rec) - special.gammaln(ch.count + 1))
    elif not bool(np.all(u_rec == 1.0) and np.all((usage == 0) | (usage == 1))):
        # Bernoulli per occasion with Pr = 1 - (1 - g)^u (secr's fastproximity = FALSE).
        entries = (ch.animal, ch.trap, u_rec, np.arange(len(u_rec)))
    unit = entries is None
    return _Prepared(ch, mask, detectfn, d, usage, usage_sum, ch.caught(), y, sparse.csr_matrix(y), const, groups,
                     group_names,
                     # Individual covariates are not secr groups: one multinomial over all animals, so that
                     # log-likelihoods of models with and without the covariate compare.
                     logmultinom(history_keys(ch, collapsed), np.zeros(ch.n, int)), unit, entries,
                     ch.detector == "count", yt=sparse.csr_matrix(y.T))


def _logp_pdot(prep: _Prepared, p0: float, sigma: float, rows: np.ndarray, deriv: bool = False) -> tuple:
    """log Pr(capture history | centre at each mask point) for some animals (rows x M, a fresh array the caller
    may overwrite) and p.(x) (M).

    With deriv, also back(r, rsum, w): the derivatives with respect to the link-scale p0 (logit g0 or log
    lambda0) and log sigma of sum_im r_im log Pr_im + sum_m w_m p.(m), for weights r (rows x M, rsum = r.sum(0))
    and w (M). Taking the derivatives backwards (adjoint) never forms a rows x M array per parameter: everything
    folds into one detector x mask array G of d(objective)/d lg, lg = log g(d), which the chain rule turns into
    the two derivatives: d lg / d link(p0) is a constant c0 and d lg / d log sigma is d/sigma (EX) or d²/sigma².
    Arrays are detectors x mask points, so the rows a detection picks are contiguous.
    """
    if prep.poly is not None:
        # explicit derivative arrays, which _adjoint wraps as a back()
        return polygon.logp_pdot(prep.poly, p0, sigma, rows, deriv)
    inv = 1.0 / sigma if prep.detectfn == "EX" else 1.0 / (sigma * sigma)
    d = prep.d
    lg = np.multiply(d, -inv if prep.detectfn == "EX" else -0.5 * inv)
    lg += np.log(p0)
    c0 = 1.0 if prep.detectfn == "HHN" else 1.0 - p0  # d lg / d link(p0)
    hazard = prep.detectfn == "HHN"
    det = prep.ch.detector
    every = rows.size == prep.ch.n
    ys = prep.ysparse if every else prep.ysparse[rows]
    const = prep.const[rows, None]

    def transpose_y() -> sparse.csr_matrix:
        if every and prep.yt is not None:
            return prep.yt
        return ys.T.tocsr()

    def finish(g_arr: np.ndarray) -> np.ndarray:
        # d/d link(p0) and d/d log sigma of the objective, from G = d objective / d lg
        return np.array([c0 * g_arr.sum(), inv * np.vdot(g_arr, d)])

    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if det == "multi":
            if hazard:
                h = np.exp(lg)
                logh, dh, dlogh = lg, h, None
            else:
                g = np.exp(lg)
                h = np.log1p(np.negative(g))
                np.negative(h, out=h)
                logh = np.log(h)
                zero = h <= 0
                if zero.any():  # g underflowed: log h ~ log g
                    logh[zero] = lg[zero]
                if deriv:
                    dh = g / (1.0 - g)  # d h / d lg (a division costs a third of expm1(h))
                    dlogh = dh / h
                    if zero.any():
                        dlogh[zero] = 1.0
            big_h = prep.usage.T @ h  # occasions x mask: total hazard per mask point and occasion
            htot = big_h.sum(0)
            e = np.exp(-htot)
            pdot = -np.expm1(-htot)
            term, small, hs = caught_terms(big_h)
            c = prep.caught[rows]
            # caught: log(1 - exp(-H))/H per occasion, else -H, as c @ (term + H) - sum H
            logp = c @ (term + big_h)
            logp -= htot[None, :]
            logp += ys @ logh
            logp += const
            if not deriv:
                return logp, pdot
            dterm1 = np.where(small, 0.5, 1.0 / np.expm1(hs) - 1.0 / hs + 1.0)

            def back(r: np.ndarray, rsum: np.ndarray, w: np.ndarray) -> np.ndarray:
                wm = c.T @ r
                wm *= dterm1
                wm += (w * e - rsum)[None, :]
                gg = prep.usage @ wm
                gg *= dh
                ry = transpose_y() @ r
                if dlogh is not None:
                    ry *= dlogh
                gg += ry
                return finish(gg)

            return logp, pdot, back
        if det == "proximity" or det == "count":
            # log Pr(not detected at k) per unit usage (l0) and the detection term per detection (ly), with their
            # derivatives with respect to lg.
            if det == "proximity":
                if hazard:
                    lam = np.exp(lg)
                    l0 = np.negative(lam)
                    em = -np.expm1(l0)
                    ly = np.where(em > 0, np.log(em), lg) + lam
                    dl0 = l0
                    dly = (np.where(lam > 1e-10, lam / np.expm1(np.maximum(lam, 1e-300)), 1.0) + lam) if deriv else None
                    dlogg = dly - lam if deriv and prep.entries is not None else None
                    logg = ly - lam
                else:
                    g = np.exp(lg)
                    l0 = np.log1p(np.negative(g))
                    logg = lg
                    ly = lg - l0
                    dl0 = np.negative(np.expm1(np.negative(l0))) if deriv else None  # -g / (1 - g)
                    dly = 1.0 - dl0 if deriv else None
                    dlogg = 1.0
            else:
                if hazard or not prep.count_hazard:
                    lam = np.exp(lg)
                    ly, dl0, dly = lg, (np.negative(lam) if deriv else None), 1.0
                else:
                    # secr's Poisson mean for count detectors is the hazard -log(1 - g) (its hk), not g.
                    g = np.exp(lg)
                    lam = np.negative(np.log1p(np.negative(g)))
                    ly = np.log(lam)
                    dlam = np.expm1(lam)  # g / (1 - g)
                    dl0, dly = (np.negative(dlam), dlam / lam) if deriv else (None, None)
                l0 = np.negative(lam)
            base = prep.usage_sum @ l0
            pdot = -np.expm1(base)
            e = np.exp(base)
            entries = prep.entries if det == "proximity" else None
            if entries is None:
                logp = ys @ ly
            else:
                # Bernoulli per occasion with Pr = 1 - (1 - g)^u for each detection entry (animal, detector, u).
                a_, k, u, ent = entries
                sel = sparse.csr_matrix((np.ones(len(a_)), (a_, ent)), shape=(prep.ch.n, len(a_)))[rows]
                lk = l0[k]
                uc = u[:, None]
                one = uc == 1.0
                corr = np.where(one, logg[k] - lk if np.ndim(logg) else lg[k] - lk,
                                np.log(-np.expm1(uc * lk)) - uc * lk)
                logp = np.asarray(sel @ corr)
            logp += base[None, :]
            logp += const
            if not deriv:
                return logp, pdot

            def back(r: np.ndarray, rsum: np.ndarray, w: np.ndarray) -> np.ndarray:
                gg = dl0 * prep.usage_sum[:, None]
                gg *= (rsum - w * e)[None, :]
                if entries is None:
                    ry = transpose_y() @ r
                    ry *= dly
                    gg += ry
                    return finish(gg)
                re = np.asarray(sel.T @ r)
                dl0k = dl0[k]
                eu = np.exp(uc * lk)
                dlogg_k = dlogg[k] if np.ndim(dlogg) else dlogg
                re *= np.where(one, dlogg_k - dl0k, (-uc * eu / (-np.expm1(uc * lk)) - uc) * dl0k)
                out = finish(gg)
                return out + np.array([c0 * re.sum(), inv * np.vdot(re, d[k])])

            return logp, pdot, back
    raise PopulationError(f"detector type {det!r} is not fitted here")


def _adjoint(out: tuple):
    """The back() of a _logp_pdot result; explicit derivative arrays (rows x M, stacked) are wrapped as one."""
    if callable(out[2]):
        return out[2]
    dlogp, dpdot = np.asarray(out[2]), np.asarray(out[3])
    return lambda r, rsum, w: np.einsum("kim,im->k", dlogp, r) + dpdot @ w


@dataclass
class _Session:
    """One session's prepared data and the design of log D over its mask (columns = the D coefficients)."""

    name: str
    prep: _Prepared
    X: np.ndarray  # M x q


@dataclass
class _Model:
    """Parameter layout on the link scale: D coefficients, then p0 and sigma (per class or shared), then pmix."""

    full: bool
    distribution: str
    detectfn: str
    class_names: list[str]  # detection classes: ["all"], known classes of a covariate, or mixture ["h1", "h2"]
    mixture: bool
    p0_by_class: bool
    sigma_by_class: bool
    d_names: list[str] = field(default_factory=lambda: ["D"])

    @property
    def ngroups(self) -> int:
        return len(self.class_names)

    @property
    def known(self) -> bool:
        return self.ngroups > 1 and not self.mixture

    @property
    def p0_name(self) -> str:
        return "lambda0" if self.detectfn == "HHN" else "g0"

    def _counts(self) -> tuple[int, int, int]:
        nd = len(self.d_names) if self.full else 0
        return nd, self.ngroups if self.p0_by_class else 1, self.ngroups if self.sigma_by_class else 1

    def names(self) -> list[str]:
        nd, n0, ns = self._counts()
        out = list(self.d_names[:nd])
        for par, k in ((self.p0_name, n0), ("sigma", ns)):
            out += [f"{par}[{g}]" for g in self.class_names] if k > 1 else [par]
        if self.mixture:
            out += [f"pmix[{g}]" for g in self.class_names[1:]]
        return out

    def links(self) -> list[str]:
        return ["logit" if n.startswith(("g0", "pmix")) else "log" for n in self.names()]

    def index(self) -> tuple[slice, np.ndarray, np.ndarray, int | None]:
        """Where in beta: the D coefficients, each class's p0 and sigma, and the mixture logit."""
        nd, n0, ns = self._counts()
        i0 = nd + (np.arange(self.ngroups) if n0 > 1 else np.zeros(self.ngroups, int))
        i1 = nd + n0 + (np.arange(self.ngroups) if ns > 1 else np.zeros(self.ngroups, int))
        return slice(0, nd), i0, i1, (nd + n0 + ns if self.mixture else None)

    @property
    def size(self) -> int:
        return sum(self._counts()) + (self.ngroups - 1 if self.mixture else 0)

    def unpack(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """D coefficients, p0 and sigma of each class (real scale), and the class weights."""
        sd, i0, i1, im = self.index()
        b0 = beta[i0]
        p0 = special.expit(b0) if self.p0_name == "g0" else np.exp(b0)
        sig = np.exp(beta[i1])
        if self.mixture:
            w = special.expit(beta[im])
            pm = np.array([1.0 - w, w])
        else:
            pm = np.ones(self.ngroups)
        return beta[sd], p0, sig, pm


def _session_ll(ses: _Session, model: _Model, beta: np.ndarray, deriv: bool = False, keep: bool = False):
    """One session's log-likelihood (secr's, with its multinomial constant); with deriv its gradient on the link
    scale; with keep also the pieces the fitted model reports (posteriors, pdot, the density surface)."""
    prep = ses.prep
    n = prep.ch.n
    bd, p0, sig, pm = model.unpack(beta)
    sd, i0, i1, im = model.index()
    grad = np.zeros(beta.size)
    failed = ((-np.inf, grad) if deriv else -np.inf) if not keep else (-np.inf, None)
    m = len(prep.mask)
    if model.full:
        eta = ses.X @ bd
        top = eta.max()
        logpi = eta - (top + np.log(np.exp(eta - top).sum()))  # scipy's logsumexp costs 50 times more here
        dx = np.exp(eta)
    else:
        logpi = np.full(m, -np.log(m))
        dx = None
    pi = np.exp(logpi)
    known = model.known
    with np.errstate(divide="ignore"):
        logw = np.log(pm)
    classes = []
    for c in range(model.ngroups):
        rows = np.flatnonzero(prep.groups == c) if known else np.arange(n)
        out = _logp_pdot(prep, float(p0[c]), float(sig[c]), rows, deriv)
        # Pr(history, centre at m) up to each animal's largest term, kept as exponentials for the posteriors.
        e_im = out[0]
        e_im += logpi[None, :]
        top = e_im.max(1) if m else np.zeros(rows.size)
        if not np.all(np.isfinite(top)):
            return failed
        e_im -= top[:, None]
        np.exp(e_im, out=e_im)
        tot = e_im.sum(1)
        classes.append((rows, e_im, top, np.log(tot) + top, out[1], _adjoint(out) if deriv else None))
    p_c = np.array([pi @ cl[4] for cl in classes])
    ll = prep.logmultinom
    if known:  # known classes are fitted by the conditional likelihood only
        lnprw = np.empty(n)
        for rows, _, _, a_c, _, _ in classes:
            lnprw[rows] = a_c
        counts = np.array([cl[0].size for cl in classes])
        ll += lnprw.sum() - float(np.sum(counts * np.log(p_c)))
        p_tot = np.nan
        coef_p = 0.0
    else:
        if model.ngroups == 1:
            lnprw = classes[0][3] + logw[0]
        else:
            terms = np.stack([cl[3] for cl in classes]) + logw[:, None]
            top = terms.max(0)
            lnprw = top + np.log(np.exp(terms - top).sum(0)) if n else np.zeros(0)
        p_tot = float(pm @ p_c)
        ll += lnprw.sum() - n * np.log(p_tot)
        coef_p = -n / p_tot  # d ll / d p_tot
    coef_n = 0.0
    if model.full:
        cell = prep.mask.cell_area_ha
        big_n = cell * dx.sum()
        if model.distribution == "poisson":
            ll += n * np.log(big_n * p_tot) - big_n * p_tot - special.gammaln(n + 1)
            coef_n, coef_p = n / big_n - p_tot, -big_n
        elif big_n <= n - 1:
            return failed
        else:
            ll += (special.gammaln(big_n + 1) - special.gammaln(big_n - n + 1) - special.gammaln(n + 1)
                   + n * np.log(p_tot) + (big_n - n) * np.log1p(-p_tot))
            coef_n = special.digamma(big_n + 1) - special.digamma(big_n - n + 1) + np.log1p(-p_tot)
            coef_p = -(big_n - n) / (1 - p_tot)
    if not np.isfinite(ll):
        return failed
    post = np.zeros((n, m)) if keep else None
    rtot = np.zeros(model.ngroups)
    if deriv or keep:
        pix = pi @ ses.X if model.full else None
        for c, (rows, r, top, a_c, pdot, back) in enumerate(classes):
            # posterior weight of class c and centre m for each animal: exp(logp + logpi + log w_c - lnprw)
            r *= (np.exp(top - a_c) if known else np.exp(top + logw[c] - lnprw))[:, None]
            if keep:
                post[rows] += r
            if not deriv:
                continue
            rsum = r.sum(0)
            rtot[c] = rsum.sum()
            w = pi * (-rows.size / p_c[c] if known else coef_p * pm[c])
            g2 = back(r, rsum, w)
            grad[i0[c]] += g2[0]
            grad[i1[c]] += g2[1]
            if model.full:
                grad[sd] += rsum @ ses.X + coef_p * pm[c] * ((pi * pdot) @ ses.X - p_c[c] * pix)
        if deriv:
            if model.full:
                grad[sd] += coef_n * cell * (dx @ ses.X) - n * pix
            if model.mixture:
                grad[im] += pm[0] * rtot[1] - pm[1] * rtot[0] + coef_p * pm[0] * pm[1] * (p_c[1] - p_c[0])
    ll = float(ll)
    if keep:
        pd_mix = sum(pm[c] * classes[c][4] for c in range(model.ngroups)) if not known else None
        p_animal = p_c[prep.groups] if known else np.full(n, p_tot)
        return ll, {"post": post, "pdots": [cl[4] for cl in classes], "pdot": pd_mix, "p_animal": p_animal,
                    "pi": pi, "D": dx}
    return (ll, grad) if deriv else ll


def _loglik(sessions: list[_Session], model: _Model, beta: np.ndarray, deriv: bool = False):
    """The log-likelihood summed over sessions (and with deriv its gradient on the link scale)."""
    total, grad = 0.0, np.zeros(beta.size)
    for ses in sessions:
        out = _session_ll(ses, model, beta, deriv)
        v = out[0] if deriv else out
        if not np.isfinite(v):
            return (-np.inf, grad) if deriv else -np.inf
        total += v
        if deriv:
            grad += out[1]
    return (total, grad) if deriv else total


def _gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    e = np.eye(x.size) * h
    return np.array([(f(x + e[i]) - f(x - e[i])) / (2 * h) for i in range(x.size)])


def hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function (used on the link scale, where h is relative)."""
    p = x.size
    e = np.eye(p) * h
    f0 = f(x)
    hess = np.empty((p, p))
    for i in range(p):
        hess[i, i] = (f(x + e[i]) - 2 * f0 + f(x - e[i])) / h**2
        for j in range(i):
            hess[i, j] = hess[j, i] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j])
                                      + f(x - e[i] - e[j])) / (4 * h * h)
    return hess


def hessian_from_gradient(grad, x: np.ndarray, h: float = 1e-5, forward: bool = False) -> np.ndarray:
    """Symmetrised Hessian from an analytic gradient by central differences, or forward differences (half the
    gradients; with the analytic gradient and h = 1e-7 on the link scale the SEs agree with central ones to
    about 1e-7, far below their agreement with secr's own numerical Hessian)."""
    e = np.eye(x.size) * h
    if forward:
        g0 = grad(x)
        cols = [(grad(x + e[i]) - g0) / h for i in range(x.size)]
    else:
        cols = [(grad(x + e[i]) - grad(x - e[i])) / (2 * h) for i in range(x.size)]
    hess = np.array(cols)
    return (hess + hess.T) / 2


@dataclass
class SCRFit:
    """A fitted SCR model: estimates on the real scale, log-likelihood and AIC, and what region N needs."""

    estimates: pd.DataFrame  # parameter, link, beta, SE.beta, estimate, SE, lcl, ucl (D per ha)
    loglik: float
    npar: int
    n: int
    detector: str
    detectfn: str
    likelihood: str
    distribution: str
    beta: np.ndarray
    vcov: np.ndarray
    esa_ha: np.ndarray  # effective sampling area of each animal (ha), first session
    summary: dict
    warnings: list[str] = field(default_factory=list)
    _prep: _Prepared | None = field(default=None, repr=False)
    _model: _Model | None = field(default=None, repr=False)
    sessions: list[_Session] = field(default_factory=list, repr=False)
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)  # secr's coef(): beta, SE.beta, lcl, ucl
    model_formula: str = ""  # secr-style description, e.g. "D~session g0~h2 sigma~h2"
    fastproximity: bool = True

    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
        return -2 * self.loglik + 2 * self.npar

    @property
    def aicc(self) -> float:
        """AIC with the small-sample correction secr prints (n = animals detected; NaN when n <= npar + 1)."""
        df = self.n - self.npar - 1
        return self.aic + 2 * self.npar * (self.npar + 1) / df if df > 0 else float("nan")

    def value(self, name: str) -> float:
        """A real-scale estimate by parameter name ('D', 'g0', 'lambda0', 'sigma', 'D[2019]')."""
        return float(self.estimates.set_index("parameter").loc[name, "estimate"])

    def density(self, per: str = "100km2", session: str | None = None) -> dict:
        """Density with SE and 95% interval, per hectare ('ha') or per 100 km² ('100km2'); one session's by name."""
        est = self.estimates.set_index("parameter")
        name = "D" if session is None and "D" in est.index else f"D[{session if session is not None else self.sessions[0].name}]"
        if name not in est.index:
            raise PopulationError(f"no density {name} in this fit (have: {', '.join(i for i in est.index if i.startswith('D'))})")
        row = est.loc[name]
        k = HA_PER_100KM2 if per == "100km2" else 1.0
        return {"unit": "per 100 km²" if per == "100km2" else "per ha", "estimate": row["estimate"] * k,
                "SE": row["SE"] * k, "lcl": row["lcl"] * k, "ucl": row["ucl"] * k}

    def _session(self, session: str | None) -> _Session:
        if session is None:
            return self.sessions[0]
        for ses in self.sessions:
            if ses.name == str(session):
                return ses
        raise PopulationError(f"no session {session!r} in this fit (have: {', '.join(s.name for s in self.sessions)})")

    def _pieces(self, session: str | None = None, beta: np.ndarray | None = None) -> dict:
        ses = self._session(session)
        return _session_ll(ses, self._model, self.beta if beta is None else beta, keep=True)[1]

    def posterior(self, session: str | None = None) -> np.ndarray:
        """Pr(activity centre at each mask point | capture history), animals x mask points (one session)."""
        post = self._pieces(session)["post"]
        return post / post.sum(1, keepdims=True)

    def pdot(self, group: int = 0, session: str | None = None) -> np.ndarray:
        """Probability an animal (of a class, or averaged over a mixture) centred at each point is ever detected."""
        pieces = self._pieces(session)
        return pieces["pdot"] if pieces["pdot"] is not None else pieces["pdots"][group]

    def density_surface(self, session: str | None = None) -> np.ndarray:
        """Density (per ha) at each mask point: the fitted surface, or the derived constant of a conditional fit."""
        pieces = self._pieces(session)
        if pieces["D"] is not None:
            return pieces["D"]
        name = self._session(session).name
        est = self.estimates.set_index("parameter")
        return np.full(len(self._session(session).prep.mask),
                       est.loc["D" if "D" in est.index else f"D[{name}]", "estimate"])

    def to_dict(self) -> dict:
        """A JSON-ready report: estimates per ha and per 100 km², -LL, AIC, AICc, data summary, warnings."""
        out = {
            "detector": self.detector, "detectfn": self.detectfn, "likelihood": self.likelihood,
            "distribution": self.distribution, "model": self.model_formula, "fastproximity": self.fastproximity,
            "n": self.n, "npar": self.npar, "negloglik": -self.loglik, "AIC": self.aic,
            "AICc": None if not np.isfinite(self.aicc) else self.aicc,
            "estimates": self.estimates.to_dict(orient="records"),
            "coefficients": self.coefficients.to_dict(orient="records"),
            "esa_ha": float(np.mean(self.esa_ha)) if len(self.esa_ha) else None,
            "summary": self.summary, "mask_points": len(self._prep.mask), "mask_spacing_m": self._prep.mask.spacing,
            "warnings": self.warnings,
        }
        if "D" in set(self.estimates["parameter"]):
            out["density_per_100km2"] = self.density("100km2")
        else:
            out["density_per_100km2_by_session"] = {s.name: self.density("100km2", s.name) for s in self.sessions}
        return out


def _rpsv(ch: CaptureHistory) -> float:
    """Root pooled spatial variance of detection locations, secr's starting value for sigma."""
    if ch.detection_xy is not None:
        return polygon.rpsv(ch)
    xy = ch.xy[ch.trap]
    frame = pd.DataFrame({"a": ch.animal, "x": xy[:, 0], "y": xy[:, 1]})
    g = frame.groupby("a")
    n_i = g.size()
    ss = (g["x"].var(ddof=0) * n_i + g["y"].var(ddof=0) * n_i)[n_i > 1]
    df = (n_i[n_i > 1] - 1).sum()
    return float(np.sqrt(ss.sum() / (2 * df))) if df > 0 and ss.sum() > 0 else np.nan


def _check_data(histories: dict[str, CaptureHistory], min_animals: int, min_spatial: int) -> dict:
    per = {s: ch.summary() for s, ch in histories.items()}
    total = {k: sum(p[k] for p in per.values()) for k in ("animals", "detections", "recaptures", "spatial_recaptures")}
    where = f"session {next(iter(per))}" if len(per) == 1 else f"{len(per)} sessions together"
    if total["animals"] < min_animals:
        raise PopulationError(f"too few animals to fit an SCR model in {where}: {total['animals']} detected, "
                              f"at least {min_animals} needed")
    if total["recaptures"] < 1:
        raise PopulationError(f"too few recaptures to fit an SCR model in {where}: {total['animals']} animals each seen "
                              "once — detection probability and sigma cannot be estimated")
    if total["spatial_recaptures"] < min_spatial:
        raise PopulationError(f"too few spatial recaptures in {where}: {total['spatial_recaptures']} animals seen at more "
                              f"than one detector, at least {min_spatial} needed to estimate sigma (movement scale)")
    return next(iter(per.values())) if len(per) == 1 else {"sessions": per, **total}


# secr's detectfn codes for the functions bigcats fits (secr ?detectfn).
DETECTFN_CODES = {0: "HN", 2: "EX", 14: "HHN"}


def detectfn_name(detectfn: str | int) -> str:
    """'HN', 'HHN' or 'EX' from a name or secr's integer code (0, 14, 2); other secr functions are refused."""
    text = str(detectfn).strip()
    if text.lstrip("-").isdigit():
        code = int(text)
        if code not in DETECTFN_CODES:
            raise PopulationError(f"detection function code {code} is not fitted here: use 0 (HN), 14 (HHN) or 2 (EX)")
        return DETECTFN_CODES[code]
    if text.upper() not in DETECTFNS:
        raise PopulationError(f"detection function must be one of {', '.join(DETECTFNS)} (or secr's codes 0, 14, 2), "
                              f"got {detectfn!r}")
    return text.upper()


def parse_density_model(density: str) -> list[str]:
    """Terms of a density formula such as '~session + side' ('D~' may lead; '1' is the intercept)."""
    text = str(density).replace(" ", "")
    if text.startswith("D"):
        text = text[1:]
    if not text.startswith("~"):
        raise PopulationError(f"density model must look like '~1', '~session', '~Session' or '~habitat + side', got {density!r}")
    terms = [t for t in text[1:].split("+") if t not in ("", "1")]
    bad = [t for t in terms if not t.replace("_", "").replace(".", "").isalnum()]
    if bad:
        raise PopulationError(f"density model: only additive terms are fitted (session, Session, mask covariates), got {bad[0]!r}")
    return list(dict.fromkeys(terms))


def _density_design(terms: list[str], names: list[str], masks: list[Mask]) -> tuple[list[str], list[np.ndarray], dict]:
    """Design matrices of log D over each session's mask: intercept, session contrasts, trend, covariates."""
    cols: list[str] = ["D"]
    parts: list[list[np.ndarray]] = [[np.ones(len(m))] for m in masks]
    levels: dict[str, list] = {}
    for term in terms:
        if term == "session":
            for j, nm in enumerate(names[1:], 1):
                cols.append(f"D.session{nm}")
                for i, m in enumerate(masks):
                    parts[i].append(np.full(len(m), float(i == j)))
        elif term == "Session":
            cols.append("D.Session")
            for i, m in enumerate(masks):
                parts[i].append(np.full(len(m), float(i)))
        else:
            missing = [nm for nm, m in zip(names, masks) if m.covariates is None or term not in m.covariates.columns]
            if missing:
                have = sorted({c for m in masks if m.covariates is not None for c in m.covariates.columns})
                raise PopulationError(f"density model: mask covariate {term!r} is missing in session "
                                      f"{listed(missing)} (mask covariates: {', '.join(have) or 'none'})")
            values = [m.covariates[term] for m in masks]
            joined = pd.concat(values, ignore_index=True)
            if joined.isna().any():
                raise PopulationError(f"density model: mask covariate {term!r} is missing at {int(joined.isna().sum())} "
                                      "mask point(s) — fill it or drop those points from the mask")
            num = pd.to_numeric(joined, errors="coerce")
            if num.notna().all() and not (pd.api.types.is_bool_dtype(joined) or joined.dtype == object and
                                          joined.map(lambda v: isinstance(v, str)).any()):
                cols.append(f"D.{term}")
                for i, v in enumerate(values):
                    parts[i].append(pd.to_numeric(v).to_numpy(float))
            else:
                lev = sorted(joined.astype(str).unique())
                levels[term] = lev
                for lv in lev[1:]:
                    cols.append(f"D.{term}{lv}")
                    for i, v in enumerate(values):
                        parts[i].append((v.astype(str).to_numpy() == lv).astype(float))
    return cols, [np.column_stack(p) for p in parts], levels


def _lognormal_row(name: str, est: float, se_log: float, beta: float | None = None) -> dict:
    """A real-scale row for a positive quantity with a Wald interval on the log scale, SE as secr back-transforms."""
    return {"parameter": name, "link": "log", "beta": float(np.log(est) if beta is None else beta),
            "SE.beta": float(se_log), "estimate": float(est), "SE": float(est * np.sqrt(np.expm1(se_log**2))),
            "lcl": float(est * np.exp(-Z975 * se_log)), "ucl": float(est * np.exp(Z975 * se_log))}


def _newton_polish(nll_grad, beta: np.ndarray, hess: np.ndarray, steps: int = 3) -> np.ndarray:
    """Newton steps from near an optimum with a fixed Hessian (it barely changes there); stops at once when a step
    is large or does not lower the objective."""
    for _ in range(steps):
        grad = nll_grad(beta)[1]
        if not np.all(np.isfinite(hess)) or np.max(np.abs(grad)) < 1e-8:
            break
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if np.max(np.abs(step)) > 0.1 or nll_grad(beta - step)[0] > nll_grad(beta)[0] + 1e-9:
            break
        beta = beta - step
    return beta


def _order_classes(model: _Model, beta: np.ndarray) -> np.ndarray:
    """The same two-class optimum with the classes labelled so that h1 has the lower g0 (lambda0), or the lower
    sigma when only sigma varies: the labels of a mixture are arbitrary, and fixed ones make fits comparable."""
    _, p0, sig, _ = model.unpack(beta)
    key = p0 if model.p0_by_class else sig
    if key[0] <= key[1]:
        return beta
    _, i0, i1, im = model.index()
    out = beta.copy()
    for idx in (i0, i1):
        if idx[0] != idx[1]:
            out[idx] = beta[idx[::-1]]
    out[im] = -beta[im]
    return out


def _degenerate_mixture(model: _Model, beta: np.ndarray, spacing: float, n: int) -> str:
    """Why a two-class mixture optimum is degenerate ('' when it is not): a class with sigma under half the mask
    spacing (it fits only animals centred on a detector), with under one animal, or g0 at its bound."""
    _, p0, sig, pm = model.unpack(beta)
    if sig.min() < 0.5 * spacing:
        return f"sigma {sig.min():.3g} m, under half the mask spacing {spacing:.3g} m"
    if pm.min() * n < 1:
        return f"pmix {pm.min():.2g}, under one of {n} animals"
    if model.p0_name == "g0" and p0.max() > 1 - 1e-5:
        return "g0 at 1"
    return ""


def _pdot_and_gradient(ses: _Session, model: _Model, beta: np.ndarray) -> tuple[float, np.ndarray]:
    """Pr(detected) of an animal under a uniform density over the session's mask (mixture-averaged; not for known
    classes) and its gradient with respect to beta on the link scale."""
    _, p0, sig, pm = model.unpack(beta)
    _, i0, i1, im = model.index()
    m = len(ses.prep.mask)
    pi = np.full(m, 1.0 / m)
    none = np.array([], dtype=int)
    grad = np.zeros(beta.size)
    p_c = np.zeros(model.ngroups)
    for c in range(model.ngroups):
        out = _logp_pdot(ses.prep, float(p0[c]), float(sig[c]), none, True)
        p_c[c] = pi @ out[1]
        g2 = _adjoint(out)(np.zeros((0, m)), np.zeros(m), pm[c] * pi)
        grad[i0[c]] += g2[0]
        grad[i1[c]] += g2[1]
    if model.mixture:
        grad[im] += pm[0] * pm[1] * (p_c[1] - p_c[0])
    return float(pm @ p_c), grad


def fit_scr(
    ch: CaptureHistory | dict[str, CaptureHistory], mask: Mask | dict[str, Mask], detectfn: str | int | None = None,
    likelihood: str = "full", distribution: str = "poisson", covariate: str | None = None,
    vary: tuple[str, ...] = ("g0", "sigma"), fastproximity: bool = True, min_animals: int = 2,
    min_spatial_recaptures: int = 1, start: dict | None = None, density: str = "~1", mixture: str | None = None,
) -> SCRFit:
    """Fit an SCR model by maximum likelihood, as secr.fit does.

    ch and mask are one session's, or dicts by session (years) fitted together with shared detection parameters;
    likelihood 'full' or 'conditional'; density a formula over sessions and mask covariates ('~session',
    '~Session' for a log-linear trend, '~side + habitat'; full likelihood); covariate an individual class column
    (sex; conditional likelihood) or mixture 'h2' (two latent classes), with the parameters in `vary` differing by
    class; fastproximity as secr's details (proximity and count data collapsed over occasions, usage as the
    binomial size or Poisson effort); with False, proximity is Bernoulli per occasion with Pr 1 - (1 - g)^usage.
    detectfn defaults to HN, and to HHN for polygon and transect detectors (population/polygon.py), as in secr.
    """
    first = next(iter(ch.values())) if isinstance(ch, dict) and ch else ch
    if isinstance(first, CaptureHistory) and polygon.is_polygon_detector(first.detector):
        detectfn = polygon.detectfn_for(detectfn)
    detectfn = detectfn_name("HN" if detectfn is None else detectfn)
    if likelihood not in ("full", "conditional"):
        raise PopulationError(f"likelihood must be 'full' or 'conditional', got {likelihood!r}")
    if distribution not in ("poisson", "binomial"):
        raise PopulationError(f"distribution of n must be 'poisson' or 'binomial', got {distribution!r}")
    if mixture not in (None, "h2"):
        raise PopulationError(f"mixture must be 'h2' (two latent classes), got {mixture!r}")
    histories = ch if isinstance(ch, dict) else {ch.session: ch}
    if not histories:
        raise PopulationError("no sessions to fit")
    names = [str(s) for s in histories]
    masks = [mask[s] if isinstance(mask, dict) else mask for s in histories] if not isinstance(mask, dict) or \
        set(map(str, mask)) >= set(names) else None
    if masks is None:
        raise PopulationError(f"a mask is needed for every session: missing for {listed(sorted(set(names) - set(map(str, mask))))}")
    chs = list(histories.values())
    detectors = {h.detector for h in chs}
    if len(detectors) > 1:
        raise PopulationError(f"sessions have different detector types ({', '.join(sorted(detectors))}); fit them separately")
    summary = _check_data(histories, min_animals, min_spatial_recaptures)
    for h, m in zip(chs, masks):
        check_mask(m, h.xy, h.traps["trapID"].to_numpy())
    terms = parse_density_model(density)
    if terms and likelihood != "full":
        raise PopulationError("a density model (D~...) needs the full likelihood, as in secr; leave out --cl")
    if len(names) == 1 and "session" in terms or "Session" in terms and len(names) < 3:
        raise PopulationError(f"density model {density!r} needs {'two' if 'session' in terms else 'three'} sessions "
                              f"or more, got {len(names)}")
    d_names, xs, levels = _density_design(terms, names, masks)
    if covariate is not None and mixture is not None:
        raise PopulationError("give either a class covariate or a mixture (h2), not both")
    groups = [np.zeros(h.n, int) for h in chs]
    if covariate is not None:
        for h in chs:
            if covariate not in h.covariates.columns:
                raise PopulationError(f"covariate {covariate!r} is not an individual covariate (have: "
                                      f"{', '.join(map(str, h.covariates.columns)) or 'none'})")
            col = h.covariates[covariate]
            if col.isna().any():
                raise PopulationError(f"covariate {covariate!r} is missing for animal "
                                      f"{listed(h.animals[col.isna().to_numpy()].tolist())} — known-class models need "
                                      "every animal's class (drop them or use a mixture, h2)")
        if likelihood == "full":
            raise PopulationError(f"an individual covariate ({covariate}) needs the conditional likelihood, as in secr "
                                  "(CL = TRUE); density is then derived")
        class_names = sorted({str(v) for h in chs for v in h.covariates[covariate].astype(str)})
        groups = [pd.Index(class_names).get_indexer(h.covariates[covariate].astype(str)) for h in chs]
    elif mixture is not None:
        class_names = ["h1", "h2"]
    else:
        class_names = ["all"]
    classes = len(class_names) > 1
    p0_by = classes and ("g0" in vary or "lambda0" in vary)
    sig_by = classes and "sigma" in vary
    if mixture is not None and not (p0_by or sig_by):
        raise PopulationError("a mixture (h2) needs g0 (lambda0) or sigma among the parameters that vary")
    model = _Model(likelihood == "full", distribution, detectfn, class_names, mixture is not None, p0_by, sig_by, d_names)
    fit_warnings: list[str] = []
    sessions = [_Session(nm, _prepare(h, m, detectfn, g, class_names, fastproximity, fit_warnings), x)
                for nm, h, m, g, x in zip(names, chs, masks, groups, xs)]

    sig_list = [_rpsv(h) for h in chs]
    sigma0 = (start or {}).get("sigma") or (np.nanmedian(sig_list) if np.isfinite(sig_list).any() else np.nan)
    if not np.isfinite(sigma0):
        xy = chs[0].xy
        sigma0 = float(np.median(np.sort(np.linalg.norm(xy[:, None] - xy[None], axis=2), 1)[:, 1]))
    p00 = (start or {}).get(model.p0_name, 0.1)
    link0 = special.logit(p00) if model.p0_name == "g0" else np.log(p00)
    cl_model = _Model(False, distribution, detectfn, class_names, model.mixture, p0_by, sig_by, d_names)
    n0 = len(class_names) if p0_by else 1
    ns = len(class_names) if sig_by else 1
    spread0 = np.linspace(-0.7, 0.7, n0) if model.mixture and n0 > 1 else np.zeros(n0)
    spread1 = np.linspace(-0.3, 0.3, ns) if model.mixture and ns > 1 else np.zeros(ns)
    b_det = np.r_[link0 + spread0, np.log(sigma0) + spread1, np.zeros(len(class_names) - 1 if model.mixture else 0)]

    def memoized(mdl: _Model):
        memo: dict[bytes, tuple[float, np.ndarray]] = {}

        def nll_and_grad(b: np.ndarray) -> tuple[float, np.ndarray]:
            key = np.asarray(b, float).tobytes()
            if key not in memo:  # the optimizer's last point, the Newton polish and the checks revisit points
                v, g = _loglik(sessions, mdl, b, True)
                memo[key] = (-v, -g) if np.isfinite(v) else (1e300, np.zeros_like(b))
            return memo[key]
        return nll_and_grad

    nll_cl = memoized(cl_model)
    # Detection parameters first from the conditional likelihood, which is the Poisson full likelihood with D
    # profiled out; the full fit then starts at its exact optimum (Poisson, D~1) or next to it.
    starts = [b_det]
    if model.mixture:
        # A mixture's likelihood has several optima, some degenerate (a class whose sigma is below the mask spacing,
        # so that it only fits animals centred on a detector, or a class of under one animal). As secr users do,
        # fit from several starting values — class differences in g0 and sigma of the same and of opposite sign —
        # and keep the best optimum that is not degenerate.
        if n0 > 1 and ns > 1:
            starts.append(np.r_[link0 - spread0, np.log(sigma0) + spread1, 0.0])
        starts.append(np.r_[link0 + 2 * spread0, np.log(sigma0) + 2 * spread1, 1.0])
    runs = [optimize.minimize(nll_cl, b0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 400})
            for b0 in starts]
    runs.sort(key=lambda r: r.fun)
    res = runs[0]
    if model.mixture:
        n_all = sum(h.n for h in chs)
        spacing = min(m.spacing for m in masks)
        why = [_degenerate_mixture(cl_model, r.x, spacing, n_all) for r in runs]
        good = [r for r, w in zip(runs, why) if not w]
        if good and good[0] is not runs[0]:
            res = good[0]
            fit_warnings.append(f"h2: the highest likelihood (-LL {runs[0].fun:.3f}, conditional) has a degenerate "
                                f"class ({why[0]}); reported the best optimum without one (-LL {res.fun:.3f}) from "
                                f"{len(runs)} starting values")
    b_det = res.x
    if model.mixture:
        b_det = _order_classes(cl_model, b_det)
    ok = res.success or np.max(np.abs(nll_cl(b_det)[1])) < 1e-4
    nll_grad = memoized(model) if model.full else nll_cl

    def nll(b: np.ndarray) -> float:
        return nll_grad(b)[0]

    if model.full and distribution == "poisson" and len(d_names) == 1 and len(sessions) == 1:
        # Poisson with one D: log L(D, theta) = log L_cond(theta) + n log(D A p(theta)) - D A p(theta) - log n!, so
        # at the optimum (D A p = n) its Hessian follows from the conditional one and g = d log p / d theta:
        # [[n, n g'], [n g, H_cond + n g g']]. No Hessian of the full likelihood by differences is needed.
        hess_cl = hessian_from_gradient(lambda b: nll_cl(b)[1], b_det, 1e-7, forward=True)
        b_det = _newton_polish(nll_cl, b_det, hess_cl)
        n_all = sessions[0].prep.ch.n
        p_tot, g_p = _pdot_and_gradient(sessions[0], cl_model, b_det)
        g_log = g_p / p_tot
        beta = np.r_[np.log(n_all / (sessions[0].prep.mask.area_ha * p_tot)), b_det]
        hess = np.block([[np.array([[n_all]], float), n_all * g_log[None, :]],
                         [n_all * g_log[:, None], hess_cl + n_all * np.outer(g_log, g_log)]])
    else:
        if model.full:
            esa = sum(s.prep.mask.cell_area_ha * len(s.prep.mask) * _p_animal(s, cl_model, b_det)[0] if s.prep.ch.n
                      else s.prep.mask.cell_area_ha * len(s.prep.mask) for s in sessions)
            beta = np.r_[np.log(sum(h.n for h in chs) / esa), np.zeros(len(d_names) - 1), b_det]
        else:
            beta = b_det
        if model.full and (distribution == "binomial" or len(d_names) > 1):
            res = optimize.minimize(nll_grad, beta, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 500})
            beta, ok = res.x, res.success or np.max(np.abs(nll_grad(res.x)[1])) < 1e-4
        # Newton polish: the Hessian is needed for the variances anyway, and it pins the optimum down exactly.
        hess = hessian_from_gradient(lambda b: nll_grad(b)[1], beta, 1e-7, forward=True)
        beta = _newton_polish(nll_grad, beta, hess)
    grad = nll_grad(beta)[1]
    param_names = model.names()
    what = f"{detectfn}, {chs[0].detector}, " + (f"session {names[0]}" if len(names) == 1 else f"{len(names)} sessions")
    if not ok or not np.all(np.isfinite(hess)) or np.max(np.abs(grad)) > 1e-3:
        raise PopulationError(f"the SCR model did not converge ({what}): optimizer: {res.message}; largest gradient "
                              f"{np.max(np.abs(grad)):.3g} — no estimate reported")
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 0:
        raise PopulationError(f"the SCR model did not converge ({what}): the information matrix is not positive "
                              "definite, so some parameter is not identifiable from these data — no estimate reported")
    vcov = np.linalg.inv(hess)
    links = model.links()
    span = max(np.ptp(m.xy, 0).max() for m in masks)
    for nm, b in zip(param_names, beta):
        if (nm.startswith("g0") and b > 12) or (nm.startswith("sigma") and np.exp(b) > 10 * span) or \
                (nm.startswith("pmix") and abs(b) > 10):
            raise PopulationError(f"the SCR model did not converge: {nm} ran to its bound ({b:.3g} on the link scale) "
                                  f"in {what} — too few recaptures to estimate it")
    se_beta = np.sqrt(np.diag(vcov))
    loose = [nm for nm, se in zip(param_names, se_beta) if not se < 10]
    if loose:
        raise PopulationError(f"the SCR model did not converge ({what}): {', '.join(loose)} not identifiable (SE on the "
                              "link scale over 10) — a degenerate fit, e.g. a mixture class with almost no detections; "
                              "no estimate reported")
    coef = pd.DataFrame({"parameter": param_names, "beta": beta, "SE.beta": se_beta,
                         "lcl": beta - Z975 * se_beta, "ucl": beta + Z975 * se_beta})
    rows = []
    nd = len(d_names) if model.full else 0
    for nm, link, b, s in list(zip(param_names, links, beta, se_beta))[nd:]:
        if link == "logit":
            est = float(special.expit(b))
            rows.append({"parameter": nm, "link": link, "beta": float(b), "SE.beta": float(s), "estimate": est,
                         # secr's se.untransform: delta method for logit.
                         "SE": float(s * est * (1 - est)), "lcl": float(special.expit(b - Z975 * s)),
                         "ucl": float(special.expit(b + Z975 * s))})
        else:
            rows.append(_lognormal_row(nm, float(np.exp(b)), float(s), float(b)))
    if model.mixture:
        w = special.expit(beta[-1])
        se = float(se_beta[-1])
        rows.append({"parameter": "pmix[h1]", "link": "logit", "beta": float(-beta[-1]), "SE.beta": se,
                     "estimate": float(1 - w), "SE": float(se * w * (1 - w)),
                     "lcl": float(special.expit(-beta[-1] - Z975 * se)), "ucl": float(special.expit(-beta[-1] + Z975 * se))})
    fit = SCRFit(pd.DataFrame(), -nll(beta), len(beta), sum(h.n for h in chs), chs[0].detector, detectfn, likelihood,
                 distribution, beta, vcov, np.zeros(0), summary, fit_warnings, sessions[0].prep, model, sessions, coef,
                 _formula(density, model, covariate, vary), fastproximity)
    fit.esa_ha = _esa_of(fit, beta, 0)
    if model.full:
        d_rows = _density_rows(fit, levels)
    else:
        d_rows = [_derived_density(fit, i) for i in range(len(sessions))]
        if len(sessions) > 1:
            for r, s in zip(d_rows, sessions):
                r["parameter"] = f"D[{s.name}]"
    fit.estimates = pd.DataFrame(d_rows + rows)
    if not model.full:  # secr prints derived D after the detection parameters
        fit.estimates = pd.DataFrame(rows + d_rows)
    _edge_warnings(fit)
    return fit


_fit_scr = fit_scr


@functools.wraps(_fit_scr)
def fit_scr(*args, **kwargs) -> SCRFit:  # noqa: F811 - the same function, run with large arrays kept on the heap
    with _arrays_on_the_heap():
        return _fit_scr(*args, **kwargs)


def _formula(density: str, model: _Model, covariate: str | None, vary: tuple[str, ...]) -> str:
    by = "h2" if model.mixture else covariate
    parts = [f"D{density.replace(' ', '').removeprefix('D')}" if model.full else "CL"]
    parts += [f"{model.p0_name}~{by if model.p0_by_class else 1}", f"sigma~{by if model.sigma_by_class else 1}"]
    return " ".join(parts)


def _p_animal(ses: _Session, model: _Model, beta: np.ndarray) -> np.ndarray:
    """Pr(detected) of each animal of a session with a uniform density over the mask (mixture-averaged)."""
    _, p0, sig, pm = model.unpack(beta)
    none = np.array([], dtype=int)
    p_c = np.array([_logp_pdot(ses.prep, float(p0[c]), float(sig[c]), none)[1].mean() for c in range(model.ngroups)])
    if model.known:
        return p_c[ses.prep.groups]
    return np.full(max(ses.prep.ch.n, 1), float(pm @ p_c))


def _esa_of(fit: SCRFit, beta: np.ndarray, index: int = 0) -> np.ndarray:
    """Effective sampling area (ha) of each animal of a session at parameters beta (uniform density)."""
    ses = fit.sessions[index]
    return ses.prep.mask.area_ha * _p_animal(ses, fit._model, beta)[:ses.prep.ch.n]


def _density_rows(fit: SCRFit, levels: dict) -> list[dict]:
    """Real D: the intercept-only D, or each session's mean over its mask and each class-covariate level's D."""
    model = fit._model
    nd = len(model.d_names)
    vd = fit.vcov[:nd, :nd]
    bd = fit.beta[:nd]
    if nd == 1:
        se = float(np.sqrt(vd[0, 0]))
        return [_lognormal_row("D", float(np.exp(bd[0])), se, float(bd[0]))]
    rows = []
    multi = len(fit.sessions) > 1
    means = []
    for ses in fit.sessions:
        dx = np.exp(ses.X @ bd)
        est = float(dx.mean())
        g = (dx @ ses.X) / len(dx) / est  # gradient of log mean D
        means.append((est, g))
        rows.append(_lognormal_row(f"D[{ses.name}]" if multi else "D", est, float(np.sqrt(g @ vd @ g))))
        if levels and all(c == "D" or c.startswith("D.session") or any(c.startswith(f"D.{t}") for t in levels)
                          for c in model.d_names):
            uniq = np.unique(ses.X, axis=0)
            frame = ses.prep.mask.covariates
            for row_x in uniq:
                at = np.flatnonzero((ses.X == row_x).all(1))[0]
                label = ", ".join(f"{t}={frame[t].astype(str).iloc[at]}" for t in levels)
                se = float(np.sqrt(row_x @ vd @ row_x))
                rows.append(_lognormal_row(f"D[{ses.name + ', ' if multi else ''}{label}]", float(np.exp(row_x @ bd)), se,
                                           float(row_x @ bd)))
    for (e0, g0_), (e1, g1), s0, s1 in zip(means, means[1:], fit.sessions, fit.sessions[1:]):
        g = g1 - g0_
        rows.append(_lognormal_row(f"D ratio {s1.name}/{s0.name}", e1 / e0, float(np.sqrt(g @ vd @ g))))
    return rows


def _derived_density(fit: SCRFit, index: int = 0) -> dict:
    """Density from a conditional fit, D = sum(1/a_i), with secr's derived() variance and lognormal interval."""
    area = fit.sessions[index].prep.mask.area_ha
    if fit._model.known:
        esa = _esa_of(fit, fit.beta, index)
        dens = float(np.sum(1.0 / esa))
        grad = _gradient(lambda b: float(np.sum(1.0 / _esa_of(fit, b, index))), fit.beta)
    else:  # every animal has the same a = A p., so D = n / (A p.) and d D = -D d log p.
        p_tot, g_p = _pdot_and_gradient(fit.sessions[index], fit._model, fit.beta)
        esa = np.full(fit.sessions[index].prep.ch.n, area * p_tot)
        dens = float(np.sum(1.0 / esa))
        grad = -dens * g_p / p_tot
    if fit.distribution == "binomial":
        var_n = np.sum((1 - esa / area) / esa**2)
    else:
        var_n = np.sum(1.0 / esa**2)
    se = float(np.sqrt(var_n + grad @ fit.vcov @ grad))
    c = np.exp(Z975 * np.sqrt(np.log(1 + (se / dens) ** 2)))
    return {"parameter": "D", "link": "derived", "beta": np.nan, "SE.beta": np.nan, "estimate": dens, "SE": se,
            "lcl": dens / c, "ucl": dens * c}


def _edge_warnings(fit: SCRFit) -> None:
    """Warn (not fail) when the buffer is narrow for the fitted sigma, as secr's mask checks advise."""
    sig = fit.estimates.loc[fit.estimates["parameter"].str.startswith("sigma"), "estimate"].max()
    from scipy.spatial import cKDTree

    for ses in fit.sessions:
        ch_ = ses.prep.ch
        dist = cKDTree(ch_.xy).query(ses.prep.mask.xy)[0] if ch_.geometry is None else \
            polygon.distance_to_detectors(ch_, ses.prep.mask.xy)
        if dist.max() < 3 * sig:
            fit.warnings.append(f"the mask reaches only {dist.max():.0f} m beyond the detectors"
                                f"{' in session ' + ses.name if len(fit.sessions) > 1 else ''}, less than 3 sigma "
                                f"({3 * sig:.0f} m): density may be overestimated — widen the buffer")


def region_n(fit: SCRFit, in_region: np.ndarray, session: str | None = None) -> dict:
    """Expected N (the density surface summed over a region) and realised N (detected animals centred there plus
    the expected undetected) in one session, as secr's region.N."""
    in_region = np.asarray(in_region, bool)
    ses = fit._session(session)
    mask = ses.prep.mask
    if in_region.shape != (len(mask),):
        raise PopulationError(f"region: need one true/false per mask point ({len(mask)}), got shape {in_region.shape}")
    area = mask.cell_area_ha * in_region.sum()
    model = fit._model
    if model.full:
        nd = len(model.d_names)
        dx = np.exp(ses.X @ fit.beta[:nd])
        e_n = float(mask.cell_area_ha * dx[in_region].sum())
        g = mask.cell_area_ha * (dx[in_region] @ ses.X[in_region]) / e_n if e_n > 0 else np.zeros(nd)
        se_log = float(np.sqrt(g @ fit.vcov[:nd, :nd] @ g))
        se_e = e_n * float(np.sqrt(np.expm1(se_log**2)))
        lcl, ucl = e_n * np.exp(-Z975 * se_log), e_n * np.exp(Z975 * se_log)
    else:
        drow = fit.estimates.set_index("parameter").loc["D" if len(fit.sessions) == 1 else f"D[{ses.name}]"]
        dens, se_d = float(drow["estimate"]), float(drow["SE"])
        e_n, se_e = dens * area, se_d * area
        c = np.exp(Z975 * np.sqrt(np.log(1 + (se_e / e_n) ** 2))) if e_n > 0 else 1.0
        lcl, ucl = e_n / c, e_n * c
    post = fit.posterior(ses.name)
    detected_in = float(post[:, in_region].sum())
    index = fit.sessions.index(ses)

    def undetected(b: np.ndarray) -> float:
        pieces = _session_ll(ses, model, b, keep=True)[1]
        pdot = pieces["pdot"] if pieces["pdot"] is not None else pieces["pdots"][0]
        d_b = pieces["D"] if model.full else float(np.sum(1.0 / _esa_of(fit, b, index)))
        return float(np.sum((d_b * mask.cell_area_ha * (1 - pdot))[in_region]))

    u = undetected(fit.beta)
    grad = _gradient(undetected, fit.beta)
    se_r = float(np.sqrt(max(grad @ fit.vcov @ grad + u, 0.0)))
    return {"area_ha": area, "area_km2": area / 100, "E.N": e_n, "E.N.SE": se_e,
            "E.N.lcl": lcl, "E.N.ucl": ucl, "R.N": detected_in + u, "R.N.SE": se_r,
            "detected_in_region": detected_in}


def fit_sessions(histories: dict[str, CaptureHistory], masks: dict[str, Mask] | Mask, **kwargs) -> dict[str, SCRFit]:
    """Fit each session (year) separately; masks one per session or one shared."""
    return {s: fit_scr(ch, masks[s] if isinstance(masks, dict) else masks, **kwargs) for s, ch in histories.items()}


def aic_table(fits: dict[str, SCRFit], criterion: str = "AICc") -> pd.DataFrame:
    """Models ranked as secr's AIC(): npar, logLik, AIC, AICc, the difference from the best and Akaike weights.

    Models must be fitted to the same data with the same likelihood (full or conditional), as secr requires.
    """
    if not fits:
        raise PopulationError("no models to compare")
    kinds = {(f.likelihood, f.n, f.fastproximity) for f in fits.values()}
    if len(kinds) > 1:
        raise PopulationError("models to compare must use the same data, likelihood and fastproximity "
                              f"(got {sorted(map(str, kinds))})")
    if criterion not in ("AIC", "AICc"):
        raise PopulationError(f"criterion must be AIC or AICc, got {criterion!r}")
    rows = [{"name": k, "model": f.model_formula, "detectfn": f.detectfn, "npar": f.npar, "logLik": f.loglik,
             "AIC": f.aic, "AICc": f.aicc} for k, f in fits.items()]
    table = pd.DataFrame(rows)
    delta = table[criterion] - table[criterion].min()
    table["d" + criterion] = delta
    w = np.exp(-delta / 2)
    table[criterion + "wt"] = w / w.sum()
    return table.sort_values(criterion, kind="stable").reset_index(drop=True)
