"""Report figures as PNG and SVG: activity curves with their overlap shaded, RAI bars, RAI by station on a map."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files on laptops and servers without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bigcats.analysis.activity import ActivityFit  # noqa: E402
from bigcats.analysis.errors import AnalysisError  # noqa: E402
from bigcats.analysis.kernel import TWO_PI  # noqa: E402


def _save(fig: plt.Figure, stem: Path) -> list[Path]:
    """Write the figure as stem.png and stem.svg and close it."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths


def activity_overlap_figure(a: ActivityFit, b: ActivityFit, names: tuple[str, str], stem: Path,
                            overlap_value: float | None = None, title: str | None = None) -> list[Path]:
    """Two activity curves (per hour) with bands and the area under both shaded."""
    if len(a.grid) != len(b.grid) or not np.allclose(a.grid, b.grid):
        raise AnalysisError("figures: the two activity fits must share the same time grid")
    hours = a.grid / TWO_PI * 24
    scale = TWO_PI / 24  # density per radian to density per hour
    fig, ax = plt.subplots(figsize=(7, 4))
    for fit, name, colour in ((a, names[0], "tab:orange"), (b, names[1], "tab:blue")):
        ax.plot(hours, fit.density * scale, color=colour, label=f"{name} (n={fit.n})")
        ax.fill_between(hours, fit.lower * scale, fit.upper * scale, color=colour, alpha=0.15, linewidth=0)
    label = "overlap" + (f" Δ={overlap_value:.2f}" if overlap_value is not None else "")
    ax.fill_between(hours, np.minimum(a.density, b.density) * scale, color="grey", alpha=0.4, label=label)
    ax.set(xlim=(0, 24), xticks=range(0, 25, 3), xlabel="time of day (h)", ylabel="density (per hour)",
           title=title or f"{names[0]} and {names[1]}")
    ax.legend(frameon=False)
    return _save(fig, stem)


def rai_bars_figure(rai: pd.DataFrame, stem: Path, group: str | None = "country", title: str = "Relative abundance") -> list[Path]:
    """RAI with intervals by species, one bar per group (e.g. country side)."""
    need = {"scientificName", "rai", "lower", "upper"} | ({group} if group else set())
    if not need <= set(rai.columns):
        raise AnalysisError(f"figures: RAI table lacks {', '.join(sorted(need - set(rai.columns)))}")
    groups = sorted(rai[group].astype(str).unique()) if group else ["all"]
    species = sorted(rai["scientificName"].unique())
    width = 0.8 / len(groups)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(species)), 4))
    x = np.arange(len(species))
    for i, g in enumerate(groups):
        part = rai if not group else rai[rai[group].astype(str) == g]
        part = part.set_index("scientificName").reindex(species)
        err = np.vstack([part["rai"] - part["lower"], part["upper"] - part["rai"]]).clip(min=0)
        ax.bar(x + i * width - 0.4 + width / 2, part["rai"].fillna(0), width, yerr=np.nan_to_num(err), capsize=3, label=g)
    ax.set_xticks(x, species, rotation=30, ha="right")
    ax.set(ylabel="independent events per 100 trap-nights", title=title)
    if group:
        ax.legend(title=group, frameon=False)
    return _save(fig, stem)


def rai_map_figure(rai: pd.DataFrame, stations: pd.DataFrame, species: str, stem: Path) -> list[Path]:
    """RAI of one species per station as circles on longitude/latitude (open circles where not detected)."""
    part = rai[rai["scientificName"] == species]
    if part.empty:
        raise AnalysisError(f"figures: no RAI rows for species {species!r}")
    where = stations.drop_duplicates("locationID").set_index("locationID")[["longitude", "latitude"]]
    part = part.join(where, on="locationID")
    if part[["longitude", "latitude"]].isna().any().any():
        raise AnalysisError("figures: some stations have no longitude/latitude")
    fig, ax = plt.subplots(figsize=(6, 5))
    zero = part["rai"] <= 0
    ax.scatter(part.loc[zero, "longitude"], part.loc[zero, "latitude"], s=12, facecolors="none", edgecolors="grey",
               label="not detected")
    top = max(float(part["rai"].max()), 1e-9)
    sc = ax.scatter(part.loc[~zero, "longitude"], part.loc[~zero, "latitude"], s=20 + 200 * part.loc[~zero, "rai"] / top,
                    c=part.loc[~zero, "rai"], cmap="viridis", alpha=0.8, edgecolors="k", linewidths=0.3)
    fig.colorbar(sc, ax=ax, label="events per 100 trap-nights")
    ax.set(xlabel="longitude", ylabel="latitude", title=f"{species}\nrelative abundance by station", aspect="equal")
    ax.legend(frameon=False, loc="best")
    return _save(fig, stem)


def activity_curves_figure(fits: dict[str, ActivityFit], stem: Path, reference: dict[str, np.ndarray] | None = None,
                           title: str = "Daily activity") -> list[Path]:
    """One panel per species: fitted activity (per hour) with its band, and a reference (e.g. the truth) dashed."""
    if not fits:
        raise AnalysisError("figures: no activity fits to draw")
    n = len(fits)
    cols = min(2, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False, sharex=True)
    scale = TWO_PI / 24  # density per radian to density per hour
    for ax, (name, fit) in zip(axes.ravel(), fits.items()):
        hours = fit.grid / TWO_PI * 24
        ax.fill_between(hours, fit.lower * scale, fit.upper * scale, color="tab:blue", alpha=0.2, linewidth=0,
                        label="95% band")
        ax.plot(hours, fit.density * scale, color="tab:blue", label=f"estimate (n={fit.n})")
        if reference is not None and name in reference:
            ref = np.asarray(reference[name], dtype=float)
            if ref.shape != fit.grid.shape:
                raise AnalysisError(f"figures: reference curve for {name} does not match the fit's time grid")
            ax.plot(hours, ref * scale, color="k", linestyle="--", label="truth")
        ax.set(xlim=(0, 24), xticks=range(0, 25, 6), title=name, ylabel="density (per hour)")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("time of day (h)")
    axes.ravel()[0].legend(frameon=False, fontsize="small")
    fig.suptitle(title)
    return _save(fig, stem)
