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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special, stats

from bigcats.population.capthist import CaptureHistory
from bigcats.population.errors import PopulationError, listed
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
    d: np.ndarray  # mask x detector distances (or squared distances for HN/HHN)
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


def _logmultinom(ch: CaptureHistory, groups: np.ndarray) -> float:
    """log of n! / prod(n_w!) over distinct capture histories, within groups, as secr's logmultinom()."""
    key = pd.DataFrame({"a": ch.animal, "s": ch.occasion, "k": ch.trap, "c": ch.count}).sort_values(["a", "s", "k"])
    text = key.astype(str).agg(":".join, axis=1).groupby(key["a"]).agg("|".join).reindex(range(ch.n))
    frame = pd.DataFrame({"g": groups, "h": text.to_numpy()})
    per_history = frame.groupby(["g", "h"]).size().to_numpy()
    per_group = frame.groupby("g").size().to_numpy()
    return float(special.gammaln(per_group + 1).sum() - special.gammaln(per_history + 1).sum())


def _prepare(ch: CaptureHistory, mask: Mask, detectfn: str, groups: np.ndarray, group_names: list[str],
             fastproximity: bool) -> _Prepared:
    diff = mask.xy[:, None, :] - ch.xy[None, :, :]
    d2 = np.einsum("mkc,mkc->mk", diff, diff)
    d = np.sqrt(d2) if detectfn == "EX" else d2
    usage = np.asarray(ch.usage, float)
    y = ch.counts_by_trap()
    u_rec = usage[ch.trap, ch.occasion]
    const = np.zeros(ch.n)
    entries = None
    unit = bool(np.all(u_rec == 1.0))
    if ch.detector == "multi":
        np.add.at(const, ch.animal, np.log(u_rec))
    elif ch.detector == "count":
        np.add.at(const, ch.animal, ch.count * np.log(u_rec) - special.gammaln(ch.count + 1))
    else:
        total = usage.sum(1)
        if fastproximity and np.allclose(total, np.round(total)):
            # secr's collapsed proximity data are binomial counts out of each detector's usage.
            const += (special.gammaln(total + 1)[None, :] - special.gammaln(y + 1)
                      - special.gammaln(np.maximum(total[None, :] - y, 0) + 1)).sum(1)
        if not unit:
            entries = (ch.animal, ch.trap, u_rec, np.arange(len(u_rec)))
    return _Prepared(ch, mask, detectfn, d, usage, usage.sum(1), ch.caught(), y, sparse.csr_matrix(y), const, groups, group_names,
                     # Individual covariates are not secr groups: one multinomial over all animals, so that
                     # log-likelihoods of models with and without the covariate compare.
                     _logmultinom(ch, np.zeros(ch.n, int)), unit, entries)


def _full(a: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A scalar spread to a contiguous array: BLAS matmul has no fast path for broadcast (zero-stride) views."""
    return np.full(shape, a) if np.ndim(a) == 0 else a


def _logp_pdot(prep: _Prepared, p0: float, sigma: float, rows: np.ndarray, deriv: bool = False) -> tuple:
    """log Pr(capture history | centre at each mask point) for some animals (rows x M) and p.(x) (M).

    With deriv, also their derivatives with respect to the link-scale p0 (logit g0 or log lambda0) and log sigma,
    each stacked as (2, ...), from the chain rule through lg = log g(d) at every mask point and detector.
    """
    # dsig is d lg / d log sigma: d/sigma for EX, d²/sigma² for the half-normal forms.
    dsig = prep.d / sigma if prep.detectfn == "EX" else prep.d / (sigma * sigma)
    lg = np.log(p0) - (dsig if prep.detectfn == "EX" else 0.5 * dsig)
    c0 = 1.0 if prep.detectfn == "HHN" else 1.0 - p0  # d lg / d link(p0)
    hazard = prep.detectfn == "HHN"
    det = prep.ch.detector
    ys = prep.ysparse if rows.size == prep.ch.n else prep.ysparse[rows]

    def ymul(x: np.ndarray) -> np.ndarray:
        # Few animal x detector cells are non-zero, so the sparse product is the cheap one.
        return (x @ ys.T).T

    const = prep.const[rows, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if det == "multi":
            if hazard:
                h = np.exp(lg)
                logh, dh, dlogh = lg, h, None
            else:
                g = np.exp(lg)
                h = -np.log1p(-g)
                pos = h > 0
                logh = np.where(pos, np.log(h), lg)
                dh = g / (1.0 - g)
                dlogh = np.where(pos, dh / np.where(pos, h, 1.0), 1.0)
            big_h = h @ prep.usage  # total hazard per mask point and occasion
            e = np.exp(-big_h.sum(1))
            pdot = 1.0 - e
            small = big_h < 1e-8
            hs = np.where(small, 1.0, big_h)
            term = np.where(small, -0.5 * big_h, np.log(-np.expm1(-hs)) - np.log(hs))
            c = prep.caught[rows]
            logp = c @ term.T - (1.0 - c) @ big_h.T + ymul(logh) + const
            if not deriv:
                return logp, pdot
            dterm = np.where(small, -0.5, 1.0 / np.expm1(hs) - 1.0 / hs)
            dlogp, dpdot = [], []
            for a in (c0, dsig):
                d_big_h = (dh * a) @ prep.usage
                dlh = a if dlogh is None else dlogh * a
                dlogp.append(c @ (dterm * d_big_h).T - (1.0 - c) @ d_big_h.T + ymul(_full(dlh, lg.shape)))
                dpdot.append(e * d_big_h.sum(1))
        elif det == "proximity":
            if hazard:
                lam = np.exp(lg)
                l0 = -lam
                em = -np.expm1(-lam)
                logg = np.where(em > 0, np.log(em), lg)
                dl0 = -lam
                dlogg = np.where(lam > 1e-10, lam / np.expm1(np.maximum(lam, 1e-300)), 1.0)
            else:
                g = np.exp(lg)
                l0, logg = np.log1p(-g), lg
                dl0, dlogg = -g / (1.0 - g), None
            base = l0 @ prep.usage_sum
            pdot = -np.expm1(base)
            if prep.entries is None:
                logp = base[None, :] + ymul(logg - l0) + const
            else:
                a_, k, u, ent = prep.entries
                lk = l0[:, k]
                corr = np.where(u == 1.0, logg[:, k] - lk, np.log(-np.expm1(u * lk)) - u * lk)
                sel = sparse.csr_matrix((np.ones(len(a_)), (a_, ent)), shape=(prep.ch.n, len(a_)))[rows]
                logp = base[None, :] + np.asarray((sel @ corr.T)) + const
            if not deriv:
                return logp, pdot
            dlogp, dpdot = [], []
            for a in (c0, dsig):
                dl0a = dl0 * a
                dbase = dl0a @ prep.usage_sum
                dlg_a = _full(a if dlogg is None else dlogg * a, lg.shape)
                if prep.entries is None:
                    dlogp.append(dbase[None, :] + ymul(dlg_a - dl0a))
                else:
                    ak = _full(a, lg.shape)[:, k]
                    eu = np.exp(u * lk)
                    dcorr = np.where(u == 1.0, dlg_a[:, k] - dl0a[:, k],
                                     (-u * eu / (-np.expm1(u * lk)) - u) * dl0[:, k] * ak)
                    dlogp.append(dbase[None, :] + np.asarray(sel @ dcorr.T))
                dpdot.append(-(1.0 - pdot) * dbase)
        else:
            lam = np.exp(lg)
            base = -(lam @ prep.usage_sum)
            pdot = -np.expm1(base)
            logp = base[None, :] + ymul(lg) + const
            if not deriv:
                return logp, pdot
            dlogp, dpdot = [], []
            for a in (c0, dsig):
                dbase = -((lam * a) @ prep.usage_sum)
                dlogp.append(dbase[None, :] + ymul(_full(a, lg.shape)))
                dpdot.append(-(1.0 - pdot) * dbase)
    return logp, pdot, np.stack(dlogp), np.stack(dpdot)


@dataclass
class _Model:
    """Parameter layout on the link scale."""

    full: bool
    distribution: str
    detectfn: str
    ngroups: int
    g0_by_group: bool
    sigma_by_group: bool

    @property
    def p0_name(self) -> str:
        return "lambda0" if self.detectfn == "HHN" else "g0"

    def names(self, group_names: list[str]) -> list[str]:
        out = ["D"] if self.full else []
        for par, by in ((self.p0_name, self.g0_by_group), ("sigma", self.sigma_by_group)):
            out += [f"{par}[{g}]" for g in group_names] if by else [par]
        return out

    def links(self, group_names: list[str]) -> list[str]:
        return ["logit" if n.startswith("g0") else "log" for n in self.names(group_names)]

    def unpack(self, beta: np.ndarray) -> tuple[float | None, np.ndarray, np.ndarray]:
        i = 0
        dens = None
        if self.full:
            dens, i = float(np.exp(beta[0])), 1
        n0 = self.ngroups if self.g0_by_group else 1
        b0 = beta[i:i + n0]
        p0 = special.expit(b0) if self.p0_name == "g0" else np.exp(b0)
        sig = np.exp(beta[i + n0:i + n0 + (self.ngroups if self.sigma_by_group else 1)])
        return dens, np.broadcast_to(p0, self.ngroups), np.broadcast_to(sig, self.ngroups)


def _components(prep: _Prepared, model: _Model, beta: np.ndarray, deriv: bool = False) -> tuple:
    """Per group (rows, logp, pdot), the conditional log-likelihood, and with deriv its gradient and d(sum pdot)."""
    dens, p0, sig = model.unpack(beta)
    parts, ll = [], prep.logmultinom
    grad = np.zeros(beta.size)
    dsum_pdot = np.zeros(beta.size)
    off = 1 if model.full else 0
    n0 = model.ngroups if model.g0_by_group else 1
    for g in range(model.ngroups):
        rows = np.flatnonzero(prep.groups == g)
        out = _logp_pdot(prep, float(p0[g]), float(sig[g]), rows, deriv)
        logp, pdot = out[0], out[1]
        lse = special.logsumexp(logp, axis=1, keepdims=True)
        total = pdot.sum()
        ll += float(lse.sum() - rows.size * np.log(total))
        parts.append((rows, logp, pdot))
        if deriv:
            post = np.exp(logp - lse)
            idx = (off + (g if model.g0_by_group else 0), off + n0 + (g if model.sigma_by_group else 0))
            for j in range(2):
                dtot = out[3][j].sum()
                grad[idx[j]] += float(np.sum(post * out[2][j]) - rows.size * dtot / total)
                dsum_pdot[idx[j]] += dtot
    return dens, parts, ll, grad, dsum_pdot


def _loglik(prep: _Prepared, model: _Model, beta: np.ndarray, deriv: bool = False):
    """The log-likelihood (and with deriv its gradient on the link scale)."""
    dens, parts, ll, grad, dsum = _components(prep, model, beta, deriv)
    if model.full:
        n = prep.ch.n
        cell = prep.mask.cell_area_ha
        a = cell * parts[0][2].sum()
        da = cell * dsum
        if model.distribution == "poisson":
            ll += n * np.log(dens * a) - dens * a - special.gammaln(n + 1)
            grad += n * da / a - dens * da
            grad[0] = n - dens * a
        else:
            area = prep.mask.area_ha
            big_n = dens * area
            if big_n <= n - 1:
                return (-np.inf, grad) if deriv else -np.inf
            frac = a / area
            ll += (special.gammaln(big_n + 1) - special.gammaln(big_n - n + 1) - special.gammaln(n + 1)
                   + n * np.log(frac) + (big_n - n) * np.log1p(-frac))
            grad += (n / frac - (big_n - n) / (1 - frac)) * da / area
            grad[0] = big_n * (special.digamma(big_n + 1) - special.digamma(big_n - n + 1) + np.log1p(-frac))
    ll = float(ll) if np.isfinite(ll) else -np.inf
    return (ll, grad) if deriv else ll


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


def hessian_from_gradient(grad, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Symmetrised central-difference Hessian from an analytic gradient."""
    e = np.eye(x.size) * h
    cols = [(grad(x + e[i]) - grad(x - e[i])) / (2 * h) for i in range(x.size)]
    hess = np.array(cols)
    return (hess + hess.T) / 2


@dataclass
class SCRFit:
    """A fitted SCR model: estimates on the real scale, log-likelihood and AIC, and what region N needs."""

    estimates: pd.DataFrame  # parameter, link, estimate, SE, lcl, ucl (D per ha)
    loglik: float
    npar: int
    n: int
    detector: str
    detectfn: str
    likelihood: str
    distribution: str
    beta: np.ndarray
    vcov: np.ndarray
    esa_ha: np.ndarray  # effective sampling area of each animal (ha)
    summary: dict
    warnings: list[str] = field(default_factory=list)
    _prep: _Prepared | None = field(default=None, repr=False)
    _model: _Model | None = field(default=None, repr=False)

    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
        return -2 * self.loglik + 2 * self.npar

    @property
    def aicc(self) -> float:
        """AIC with the small-sample correction secr prints."""
        return self.aic + 2 * self.npar * (self.npar + 1) / max(self.n - self.npar - 1, 1)

    def value(self, name: str) -> float:
        """A real-scale estimate by parameter name ('D', 'g0', 'lambda0', 'sigma')."""
        return float(self.estimates.set_index("parameter").loc[name, "estimate"])

    def density(self, per: str = "100km2") -> dict:
        """Density with SE and 95% interval, per hectare ('ha') or per 100 km² ('100km2')."""
        row = self.estimates.set_index("parameter").loc["D"]
        k = HA_PER_100KM2 if per == "100km2" else 1.0
        return {"unit": "per 100 km²" if per == "100km2" else "per ha", "estimate": row["estimate"] * k,
                "SE": row["SE"] * k, "lcl": row["lcl"] * k, "ucl": row["ucl"] * k}

    def posterior(self) -> np.ndarray:
        """Pr(activity centre at each mask point | capture history), animals x mask points."""
        _, parts, *_ = _components(self._prep, self._model, self.beta)
        post = np.empty((self.n, len(self._prep.mask)))
        for rows, logp, _ in parts:
            post[rows] = np.exp(logp - special.logsumexp(logp, axis=1, keepdims=True))
        return post

    def pdot(self, group: int = 0) -> np.ndarray:
        """Probability an animal centred at each mask point is detected at least once."""
        return _pdots(self, self.beta)[group]

    def to_dict(self) -> dict:
        """A JSON-ready report: estimates per ha and per 100 km², -LL, AIC, AICc, data summary, warnings."""
        return {
            "detector": self.detector, "detectfn": self.detectfn, "likelihood": self.likelihood,
            "distribution": self.distribution, "n": self.n, "npar": self.npar,
            "negloglik": -self.loglik, "AIC": self.aic, "AICc": self.aicc,
            "estimates": self.estimates.to_dict(orient="records"),
            "density_per_100km2": self.density("100km2"), "esa_ha": float(np.mean(self.esa_ha)),
            "summary": self.summary, "mask_points": len(self._prep.mask), "mask_spacing_m": self._prep.mask.spacing,
            "warnings": self.warnings,
        }


def _rpsv(ch: CaptureHistory) -> float:
    """Root pooled spatial variance of detection locations, secr's starting value for sigma."""
    xy = ch.xy[ch.trap]
    frame = pd.DataFrame({"a": ch.animal, "x": xy[:, 0], "y": xy[:, 1]})
    g = frame.groupby("a")
    n_i = g.size()
    ss = (g["x"].var(ddof=0) * n_i + g["y"].var(ddof=0) * n_i)[n_i > 1]
    df = (n_i[n_i > 1] - 1).sum()
    return float(np.sqrt(ss.sum() / (2 * df))) if df > 0 and ss.sum() > 0 else np.nan


def _check_data(ch: CaptureHistory, min_animals: int, min_spatial: int) -> dict:
    s = ch.summary()
    where = f"session {ch.session}"
    if s["animals"] < min_animals:
        raise PopulationError(f"too few animals to fit an SCR model in {where}: {s['animals']} detected, "
                              f"at least {min_animals} needed")
    if s["recaptures"] < 1:
        raise PopulationError(f"too few recaptures to fit an SCR model in {where}: {s['animals']} animals each seen "
                              "once — detection probability and sigma cannot be estimated")
    if s["spatial_recaptures"] < min_spatial:
        raise PopulationError(f"too few spatial recaptures in {where}: {s['spatial_recaptures']} animals seen at more "
                              f"than one detector, at least {min_spatial} needed to estimate sigma (movement scale)")
    return s


def fit_scr(
    ch: CaptureHistory, mask: Mask, detectfn: str = "HN", likelihood: str = "full", distribution: str = "poisson",
    covariate: str | None = None, vary: tuple[str, ...] = ("g0", "sigma"), fastproximity: bool = True,
    min_animals: int = 2, min_spatial_recaptures: int = 1, start: dict | None = None,
) -> SCRFit:
    """Fit an SCR model by maximum likelihood; likelihood 'full' or 'conditional', covariate a class column (sex)."""
    if detectfn not in DETECTFNS:
        raise PopulationError(f"detection function must be one of {', '.join(DETECTFNS)}, got {detectfn!r}")
    if likelihood not in ("full", "conditional"):
        raise PopulationError(f"likelihood must be 'full' or 'conditional', got {likelihood!r}")
    if distribution not in ("poisson", "binomial"):
        raise PopulationError(f"distribution of n must be 'poisson' or 'binomial', got {distribution!r}")
    summary = _check_data(ch, min_animals, min_spatial_recaptures)
    check_mask(mask, ch.xy, ch.traps["trapID"].to_numpy())
    if covariate is None:
        groups, names = np.zeros(ch.n, int), ["all"]
    else:
        if covariate not in ch.covariates.columns:
            raise PopulationError(f"covariate {covariate!r} is not an individual covariate (have: "
                                  f"{', '.join(map(str, ch.covariates.columns)) or 'none'})")
        col = ch.covariates[covariate]
        if col.isna().any():
            raise PopulationError(f"covariate {covariate!r} is missing for animal {listed(ch.animals[col.isna().to_numpy()].tolist())}"
                                  " — known-class models need every animal's class (drop them or use a mixture)")
        if likelihood == "full":
            raise PopulationError(f"an individual covariate ({covariate}) needs the conditional likelihood, as in secr "
                                  "(CL = TRUE); density is then derived")
        names_idx, groups = np.unique(col.astype(str).to_numpy(), return_inverse=True)
        names = [str(v) for v in names_idx]
    model = _Model(likelihood == "full", distribution, detectfn, len(names),
                   covariate is not None and ("g0" in vary or "lambda0" in vary),
                   covariate is not None and "sigma" in vary)
    prep = _prepare(ch, mask, detectfn, groups, names, fastproximity)

    sigma0 = (start or {}).get("sigma") or _rpsv(ch)
    if not np.isfinite(sigma0):
        sigma0 = float(np.median(np.sort(np.linalg.norm(ch.xy[:, None] - ch.xy[None], axis=2), 1)[:, 1]))
    p00 = (start or {}).get(model.p0_name, 0.1)
    cl_model = _Model(False, distribution, detectfn, model.ngroups, model.g0_by_group, model.sigma_by_group)
    n0 = model.ngroups if model.g0_by_group else 1
    ns = model.ngroups if model.sigma_by_group else 1
    link0 = special.logit(p00) if model.p0_name == "g0" else np.log(p00)
    b_det = np.r_[np.full(n0, link0), np.full(ns, np.log(sigma0))]

    def nll_cl(b: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = _loglik(prep, cl_model, b, True)
        return (-v, -g) if np.isfinite(v) else (1e300, np.zeros_like(b))

    # Detection parameters first from the conditional likelihood, which is the Poisson full likelihood with D
    # profiled out; the full fit then starts at its exact optimum (Poisson) or next to it (binomial).
    res = optimize.minimize(nll_cl, b_det, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 400})
    b_det = res.x
    ok = res.success or np.max(np.abs(nll_cl(b_det)[1])) < 1e-4
    if model.full:
        a0 = mask.cell_area_ha * sum(p[2].sum() for p in _components(prep, cl_model, b_det)[1])
        beta = np.r_[np.log(ch.n / a0), b_det]
    else:
        beta = b_det

    def nll_grad(b: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = _loglik(prep, model, b, True)
        return (-v, -g) if np.isfinite(v) else (1e300, np.zeros_like(b))

    def nll(b: np.ndarray) -> float:
        return nll_grad(b)[0]

    if model.full and distribution == "binomial":
        res = optimize.minimize(nll_grad, beta, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 400})
        beta, ok = res.x, res.success or np.max(np.abs(nll_grad(res.x)[1])) < 1e-4
    # Newton polish: the Hessian is needed for the variances anyway, and it pins the optimum down exactly.
    hess = hessian_from_gradient(lambda b: nll_grad(b)[1], beta)
    for _ in range(2):
        # Near the optimum the Hessian barely changes, so it is reused for the Newton steps.
        grad = nll_grad(beta)[1]
        if not np.all(np.isfinite(hess)) or np.max(np.abs(grad)) < 1e-8:
            break
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if np.max(np.abs(step)) > 0.1 or nll(beta - step) > nll(beta) + 1e-9:
            break
        beta = beta - step
    grad = nll_grad(beta)[1]
    param_names = model.names(names)
    if not ok or not np.all(np.isfinite(hess)) or np.max(np.abs(grad)) > 1e-3:
        raise PopulationError(f"the SCR model did not converge ({detectfn}, {ch.detector}, session {ch.session}): "
                              f"optimizer: {res.message}; largest gradient {np.max(np.abs(grad)):.3g} — no estimate reported")
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 0:
        raise PopulationError(f"the SCR model did not converge ({detectfn}, {ch.detector}, session {ch.session}): the "
                              "information matrix is not positive definite, so some parameter is not identifiable "
                              "from these data — no estimate reported")
    vcov = np.linalg.inv(hess)
    links = model.links(names)
    for nm, b in zip(param_names, beta):
        if (nm.startswith("g0") and b > 12) or (nm.startswith("sigma") and np.exp(b) > 10 * np.ptp(mask.xy, 0).max()):
            raise PopulationError(f"the SCR model did not converge: {nm} ran to its bound ({b:.3g} on the link scale) "
                                  f"in session {ch.session} — too few recaptures to estimate it")
    rows = []
    se_beta = np.sqrt(np.diag(vcov))
    for nm, link, b, s in zip(param_names, links, beta, se_beta):
        inv = special.expit if link == "logit" else np.exp
        est = float(inv(b))
        rows.append({"parameter": nm, "link": link, "beta": float(b), "SE.beta": float(s), "estimate": est,
                     "SE": float(s * (est * (1 - est) if link == "logit" else est)),
                     "lcl": float(inv(b - Z975 * s)), "ucl": float(inv(b + Z975 * s))})
    estimates = pd.DataFrame(rows)
    _, parts, *_ = _components(prep, model, beta)
    esa = np.empty(ch.n)
    for rows_g, _, pd_g in parts:
        esa[rows_g] = mask.cell_area_ha * pd_g.sum()
    fit = SCRFit(estimates, -nll(beta), len(beta), ch.n, ch.detector, detectfn, likelihood, distribution, beta, vcov,
                 esa, summary, [], prep, model)
    if not model.full:
        fit.estimates = pd.concat([estimates, pd.DataFrame([_derived_density(fit)])], ignore_index=True)
    _edge_warnings(fit)
    return fit


def _pdots(fit: SCRFit, beta: np.ndarray) -> list[np.ndarray]:
    """p.(x) over the mask for each group, without the per-animal terms."""
    _, p0, sig = fit._model.unpack(beta)
    none = np.array([], dtype=int)
    return [_logp_pdot(fit._prep, float(p0[g]), float(sig[g]), none)[1] for g in range(fit._model.ngroups)]


def _esa_of(fit: SCRFit, beta: np.ndarray) -> np.ndarray:
    """Effective sampling area (ha) of each animal at parameters beta."""
    per_group = np.array([p.sum() for p in _pdots(fit, beta)]) * fit._prep.mask.cell_area_ha
    return per_group[fit._prep.groups]


def _derived_density(fit: SCRFit) -> dict:
    """Density from a conditional fit, D = sum(1/a_i), with secr's derived() variance and lognormal interval."""
    area = fit._prep.mask.area_ha
    dens = float(np.sum(1.0 / fit.esa_ha))
    grad = _gradient(lambda b: float(np.sum(1.0 / _esa_of(fit, b))), fit.beta)
    if fit.distribution == "binomial":
        var_n = np.sum((1 - fit.esa_ha / area) / fit.esa_ha**2)
    else:
        var_n = np.sum(1.0 / fit.esa_ha**2)
    se = float(np.sqrt(var_n + grad @ fit.vcov @ grad))
    c = np.exp(Z975 * np.sqrt(np.log(1 + (se / dens) ** 2)))
    return {"parameter": "D", "link": "derived", "beta": np.nan, "SE.beta": np.nan, "estimate": dens, "SE": se,
            "lcl": dens / c, "ucl": dens * c}


def _edge_warnings(fit: SCRFit) -> None:
    """Warn (not fail) when the buffer is narrow for the fitted sigma, as secr's mask checks advise."""
    sig = fit.estimates.loc[fit.estimates["parameter"].str.startswith("sigma"), "estimate"].max()
    prep = fit._prep
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(prep.ch.xy).query(prep.mask.xy)
    if dist.max() < 3 * sig:
        fit.warnings.append(f"the mask reaches only {dist.max():.0f} m beyond the detectors, less than 3 sigma "
                            f"({3 * sig:.0f} m): density may be overestimated — widen the buffer")


def region_n(fit: SCRFit, in_region: np.ndarray) -> dict:
    """Expected N (D x area) and realised N (detected animals centred there plus expected undetected) in a region."""
    in_region = np.asarray(in_region, bool)
    mask = fit._prep.mask
    if in_region.shape != (len(mask),):
        raise PopulationError(f"region: need one true/false per mask point ({len(mask)}), got shape {in_region.shape}")
    area = mask.cell_area_ha * in_region.sum()
    drow = fit.estimates.set_index("parameter").loc["D"]
    dens, se_d = float(drow["estimate"]), float(drow["SE"])
    e_n = dens * area
    se_e = se_d * area
    c = np.exp(Z975 * np.sqrt(np.log(1 + (se_e / e_n) ** 2))) if e_n > 0 else 1.0
    post = fit.posterior()
    detected_in = float(post[:, in_region].sum())

    def undetected(b: np.ndarray) -> float:
        pdot = _pdots(fit, b)[0]
        d_b = float(np.exp(b[0])) if fit._model.full else float(np.sum(1.0 / _esa_of(fit, b)))
        return d_b * mask.cell_area_ha * float((1 - pdot)[in_region].sum())

    u = undetected(fit.beta)
    grad = _gradient(undetected, fit.beta)
    se_r = float(np.sqrt(max(grad @ fit.vcov @ grad + u, 0.0)))
    return {"area_ha": area, "area_km2": area / 100, "E.N": e_n, "E.N.SE": se_e,
            "E.N.lcl": e_n / c, "E.N.ucl": e_n * c, "R.N": detected_in + u, "R.N.SE": se_r,
            "detected_in_region": detected_in}


def fit_sessions(histories: dict[str, CaptureHistory], masks: dict[str, Mask] | Mask, **kwargs) -> dict[str, SCRFit]:
    """Fit each session (year) separately; masks one per session or one shared."""
    return {s: fit_scr(ch, masks[s] if isinstance(masks, dict) else masks, **kwargs) for s, ch in histories.items()}
