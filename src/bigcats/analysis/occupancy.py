"""Single-season occupancy (MacKenzie et al. 2002) by maximum likelihood, as unmarked's `occu` fits it.

logit(psi_i) = X_i beta (site covariates), logit(p_ij) = W_ij alpha (site and visit covariates). Missing visits
(NaN in y) are skipped; a covariate missing where a visit was made is refused. Standard errors come from the
Hessian of the negative log-likelihood at the optimum, AIC = 2 * negLL + 2 * k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from scipy.stats import norm

from bigcats.analysis.errors import AnalysisError, listed


@dataclass
class OccupancyData:
    """Detections (sites x visits, NaN = no visit) with site covariates and visit covariates (sites x visits)."""

    y: pd.DataFrame
    site_covs: pd.DataFrame = field(default_factory=pd.DataFrame)
    obs_covs: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class OccupancyFit:
    """Estimates (logit scale) with SEs, fit statistics and the scaling applied to covariates."""

    coef: pd.DataFrame
    neg_log_lik: float
    aic: float
    n_sites: int
    converged: bool
    psi_covs: list[str]
    p_covs: list[str]
    scaling: dict[str, tuple[float, float]]
    vcov: np.ndarray
    naive_occupancy: float
    data: OccupancyData

    def summary(self) -> dict:
        """Estimates, psi and p at mean covariates, negLL, AIC and naive occupancy as a plain dict."""
        psi0 = self.coef.loc[("psi", "(Intercept)"), "estimate"]
        p0 = self.coef.loc[("p", "(Intercept)"), "estimate"]
        return {
            "psi_at_mean": float(expit(psi0)), "p_at_mean": float(expit(p0)), "negLogLik": self.neg_log_lik,
            "aic": self.aic, "nSites": self.n_sites, "converged": self.converged,
            "naiveOccupancy": self.naive_occupancy,
            "coefficients": self.coef.reset_index().to_dict(orient="records"),
            "scaling": {k: {"mean": m, "sd": s} for k, (m, s) in self.scaling.items()},
        }

    def predict_psi(self, conf: float = 0.95) -> pd.DataFrame:
        """Occupancy probability per site with a delta-method interval, and occupancy given the site's history."""
        x = _design(self.data.site_covs, self.psi_covs, self.scaling, "site")
        k = len(self.psi_covs) + 1
        beta = self.coef["estimate"].to_numpy()[:k]
        eta = x @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.vcov[:k, :k], x))
        z = norm.ppf((1 + conf) / 2)
        psi = expit(eta)
        y = self.data.y.to_numpy(dtype=float)
        wmat = _obs_design(self.data, self.p_covs, self.scaling)
        p = expit(wmat @ self.coef["estimate"].to_numpy()[k:])
        seen = np.nan_to_num(y, nan=0).sum(axis=1) > 0
        q = np.where(np.isnan(y), 1.0, 1 - p).prod(axis=1)
        conditional = np.where(seen, 1.0, psi * q / (psi * q + 1 - psi))
        return pd.DataFrame({"site": self.data.y.index, "psi": psi, "se_logit": se, "lower": expit(eta - z * se),
                             "upper": expit(eta + z * se), "detected": seen, "psiConditional": conditional})


def _scale_table(values: Mapping[str, np.ndarray], standardise: bool | Sequence[str]) -> dict[str, tuple[float, float]]:
    """Mean and SD (n-1, as R's scale) of each covariate chosen for standardising."""
    names = list(values) if standardise is True else ([] if standardise is False else list(standardise))
    out = {}
    for name in names:
        if name not in values:
            raise AnalysisError(f"occupancy: cannot standardise {name!r}: not a covariate of the model")
        v = np.asarray(values[name], dtype=float)
        v = v[np.isfinite(v)]
        sd = v.std(ddof=1) if len(v) > 1 else 0.0
        if not sd > 0:
            raise AnalysisError(f"occupancy: covariate {name!r} does not vary, so it cannot be standardised or estimated")
        out[name] = (float(v.mean()), float(sd))
    return out


def _design(site_covs: pd.DataFrame, names: list[str], scaling: dict, where: str) -> np.ndarray:
    """Intercept plus the (scaled) site covariates, refusing missing values with the site named."""
    cols = [np.ones(len(site_covs))] if len(site_covs) else []
    for name in names:
        v = pd.to_numeric(site_covs[name], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise AnalysisError(f"occupancy: {where} covariate {name!r} is missing or not a number at site(s) "
                                f"{listed(site_covs.index[bad].tolist())}")
        if name in scaling:
            v = (v - scaling[name][0]) / scaling[name][1]
        cols.append(v)
    return np.column_stack(cols) if cols else np.ones((len(site_covs), 1))


def _obs_design(data: OccupancyData, names: list[str], scaling: dict) -> np.ndarray:
    """Detection design as sites x visits x (1 + covariates); site covariates repeat across visits."""
    m, j = data.y.shape
    observed = data.y.notna().to_numpy()
    layers = [np.ones((m, j))]
    for name in names:
        if name in data.obs_covs:
            v = data.obs_covs[name].reindex(index=data.y.index, columns=data.y.columns)
            v = v.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
            bad = observed & ~np.isfinite(v)
            if bad.any():
                si, vi = np.nonzero(bad)
                where = [f"{data.y.index[a]}/visit {data.y.columns[b]}" for a, b in zip(si, vi)]
                raise AnalysisError(f"occupancy: visit covariate {name!r} is missing where a visit was made: {listed(where)}")
            v = np.where(observed, v, 0.0)
        elif name in data.site_covs.columns:
            v = np.repeat(_design(data.site_covs, [name], {}, "site")[:, 1:], j, axis=1)
        else:
            raise AnalysisError(f"occupancy: detection covariate {name!r} is neither a visit nor a site covariate")
        if name in scaling:
            v = np.where(observed, (v - scaling[name][0]) / scaling[name][1], 0.0)
        layers.append(v)
    return np.stack(layers, axis=-1)


def _negll_grad(theta: np.ndarray, x: np.ndarray, w: np.ndarray, y: np.ndarray, obs: np.ndarray,
                never: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log-likelihood and its gradient."""
    k = x.shape[1]
    eta_psi = x @ theta[:k]
    eta_p = w @ theta[k:]
    p = expit(eta_p)
    logp = np.where(obs, y * log_expit(eta_p) + (1 - y) * log_expit(-eta_p), 0.0).sum(axis=1)
    a = log_expit(eta_psi) + logp
    b = np.where(never, log_expit(-eta_psi), -np.inf)
    ll = np.logaddexp(a, b)
    post = np.exp(a - ll)  # probability the site is occupied given its history
    g_psi = x.T @ (post - expit(eta_psi))
    resid = np.where(obs, y - p, 0.0) * post[:, None]
    g_p = np.einsum("ij,ijk->k", resid, w)
    return -float(ll.sum()), -np.concatenate([g_psi, g_p])


def fit_occupancy(data: OccupancyData, psi_covs: Sequence[str] = (), p_covs: Sequence[str] = (),
                  standardise: bool | Sequence[str] = True) -> OccupancyFit:
    """Fit the single-season occupancy model by maximum likelihood (BFGS), with Hessian standard errors."""
    y_frame = data.y
    y = y_frame.to_numpy(dtype=float)
    if y.ndim != 2 or y.shape[1] < 1:
        raise AnalysisError("occupancy: detections must be a sites x visits table")
    finite = y[np.isfinite(y)]
    if ((finite != 0) & (finite != 1)).any():
        raise AnalysisError("occupancy: detections must be 0, 1 or missing (NaN); convert counts with > 0 first")
    visited = np.isfinite(y).any(axis=1)
    if not visited.all():
        # Sites never surveyed carry no information (unmarked drops them too); keep the rest.
        data = OccupancyData(y_frame.loc[visited], data.site_covs.loc[visited] if len(data.site_covs) else data.site_covs,
                             {k: v.loc[y_frame.index[visited]] for k, v in data.obs_covs.items()})
        y = y[visited]
    if len(y) == 0:
        raise AnalysisError("occupancy: no site has any visit with data")
    if np.nansum(y) == 0:
        raise AnalysisError("occupancy: the species was never detected, so occupancy and detection cannot be estimated")
    psi_covs, p_covs = list(psi_covs), list(p_covs)
    missing = [c for c in psi_covs if c not in data.site_covs.columns]
    if missing:
        raise AnalysisError(f"occupancy: occupancy covariate(s) {', '.join(missing)} not among the site covariates")
    obs = np.isfinite(y)
    values: dict[str, np.ndarray] = {}
    for c in psi_covs:
        values[c] = pd.to_numeric(data.site_covs[c], errors="coerce").to_numpy(dtype=float)
    for c in p_covs:
        if c in data.obs_covs:
            v = data.obs_covs[c].reindex(index=data.y.index, columns=data.y.columns).apply(pd.to_numeric, errors="coerce")
            values[c] = v.to_numpy(dtype=float)[obs]
        elif c in data.site_covs.columns:
            values.setdefault(c, pd.to_numeric(data.site_covs[c], errors="coerce").to_numpy(dtype=float))
    scaling = _scale_table(values, standardise)
    x = _design(data.site_covs if len(data.site_covs) else pd.DataFrame(index=data.y.index), psi_covs, scaling, "site")
    w = _obs_design(data, p_covs, scaling)
    yz = np.where(obs, y, 0.0)
    never = yz.sum(axis=1) == 0
    theta0 = np.zeros(x.shape[1] + w.shape[2])
    res = minimize(_negll_grad, theta0, args=(x, w, yz, obs, never), jac=True, method="BFGS",
                   options={"gtol": 1e-7, "maxiter": 1000})
    theta = res.x
    # Hessian by central differences of the analytic gradient (as optim's hessian=TRUE in unmarked).
    h = 1e-5
    n = len(theta)
    hess = np.empty((n, n))
    for i in range(n):  # one pass per parameter, a handful at most
        e = np.zeros(n)
        e[i] = h
        hess[i] = (_negll_grad(theta + e, x, w, yz, obs, never)[1] - _negll_grad(theta - e, x, w, yz, obs, never)[1]) / (2 * h)
    hess = (hess + hess.T) / 2
    try:
        vcov = np.linalg.inv(hess)
        se = np.sqrt(np.diag(vcov))
    except np.linalg.LinAlgError:
        vcov = np.full((n, n), np.nan)
        se = np.full(n, np.nan)
    if not np.isfinite(se).all():
        raise AnalysisError("occupancy: the model is not identifiable with these data (singular Hessian); "
                            "try fewer covariates or check that detections vary")
    idx = pd.MultiIndex.from_tuples([("psi", "(Intercept)"), *[("psi", c) for c in psi_covs], ("p", "(Intercept)"),
                                     *[("p", c) for c in p_covs]], names=["submodel", "parameter"])
    z = theta / se
    coef = pd.DataFrame({"estimate": theta, "se": se, "z": z, "p_value": 2 * norm.sf(np.abs(z))}, index=idx)
    nll = float(res.fun)
    naive = float((~never).mean())
    return OccupancyFit(coef, nll, 2 * nll + 2 * n, len(y), bool(res.success), psi_covs, p_covs, scaling, vcov, naive, data)


def long_to_occupancy(frame: pd.DataFrame, site: str, detection: str, order: str | None = None,
                      obs_covs: Sequence[str] = (), site_covs: Sequence[str] = ()) -> OccupancyData:
    """Long table (one row per visit) to OccupancyData; visits numbered per site in `order` (unmarked formatLong)."""
    need = [site, detection, *([order] if order else []), *obs_covs, *site_covs]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise AnalysisError(f"occupancy: missing column(s) {', '.join(missing)} in the visit table")
    f = frame.sort_values([site, order] if order else [site], kind="stable")
    visit = f.groupby(site, sort=False).cumcount()
    det = pd.to_numeric(f[detection], errors="coerce")
    y = (det > 0).astype(float).where(det.notna())
    y = pd.DataFrame({"site": f[site].to_numpy(), "visit": visit.to_numpy(), "y": y.to_numpy()}).pivot(
        index="site", columns="visit", values="y")
    obs = {}
    for c in obs_covs:
        obs[c] = pd.DataFrame({"site": f[site].to_numpy(), "visit": visit.to_numpy(), "v": pd.to_numeric(
            f[c], errors="coerce").to_numpy()}).pivot(index="site", columns="visit", values="v").reindex_like(y)
    sc = f.groupby(site, sort=False)[list(site_covs)].first().reindex(y.index) if site_covs else pd.DataFrame(index=y.index)
    return OccupancyData(y, sc, obs)


def history_to_occupancy(history: pd.DataFrame, site_covs: pd.DataFrame | None = None,
                         obs_covs: Mapping[str, pd.DataFrame] | None = None) -> OccupancyData:
    """A detection history (sites x occasions, e.g. from detection_history) with covariates as OccupancyData."""
    sc = site_covs.reindex(history.index) if site_covs is not None else pd.DataFrame(index=history.index)
    return OccupancyData(history, sc, dict(obs_covs or {}))
