"""Per-deployment checks of a camera's photo stream (pure functions over the survey frames).

Each finding names the deployment, the kind of fault, its period (UTC, as the camera's clock wrote it) and the
fix it offers: an outage (no effort in that period) or a clock correction (seconds to add to the photos' times in
that period). Nothing is changed until a user confirms (`health.store.apply_findings`).

Kinds and rules (thresholds in `Thresholds`):
- `clock_jump`: in file order (cameras number files as they shoot) the time runs backwards by more than an hour,
  e.g. a reset to 2000-01-01 after a battery change: the later segment is offered a shift that puts its first photo
  just after the last good one.
- `clock_wrong`: photos before the set-up (or before `earliest`, when the camera cannot have existed) or after the
  retrieval / in the future, not explained by a jump: the whole stream is offered a shift that puts its first photo
  at the set-up time (the set-up crew's test shot).
- `setup_mismatch`: the first photo comes `edge_days` or more after the recorded set-up: outage from set-up.
- `silent_end`: no photos for `edge_days` or more before retrieval (dead battery or full card): outage.
- `long_gap`: a gap mid-deployment of `gap_days` or more that the camera's own trigger rate makes improbable
  (Poisson, Bonferroni over its gaps, `alpha`): knocked over or covered; outage.
- `false_triggers`: local days with `burst_per_day` or more photos (vegetation, sun glare): outage of those days.
- `no_night`: at least `night_min_photos` photos, none between sunset and sunrise at the station: broken infrared
  flash; an outage for every night of the deployment.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

KINDS = ("clock_jump", "clock_wrong", "setup_mismatch", "silent_end", "long_gap", "false_triggers", "no_night")


@dataclass(frozen=True)
class Thresholds:
    """Where a pattern becomes a finding (see the module's docstring)."""

    jump_s: float = 3600.0
    earliest: str = "2005-01-01"
    edge_days: float = 7.0
    gap_days: float = 14.0
    alpha: float = 0.01
    burst_per_day: int = 200
    night_min_photos: int = 30
    tolerance_days: float = 1.0


@dataclass
class Finding:
    """One fault of one deployment and the fix offered for it."""

    deployment: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    message: str
    photos: int = 0
    fix: str = "outage"  # "outage" or "clock"
    offset_s: int = 0  # for clock fixes: seconds to add
    periods: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)  # outage periods
    media_ids: list = field(default_factory=list, repr=False)  # for clock fixes: exactly which photos shift

    @property
    def key(self) -> str:
        """A stable name for the finding: deployment:kind:start (what a user passes to confirm it)."""
        return f"{self.deployment}:{self.kind}:{self.start:%Y%m%dT%H%M%S}"

    def to_dict(self) -> dict:
        """JSON-ready values (times as ISO UTC)."""
        d = asdict(self)
        d["key"] = self.key
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        d["periods"] = [[a.isoformat(), b.isoformat()] for a, b in self.periods]
        d.pop("media_ids")
        return d


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(name))]


def _file_order(media: pd.DataFrame) -> pd.DataFrame:
    """Media in the order the camera wrote them: natural order of their paths (IMG9 before IMG10), then time."""
    path = (media["filePath"].fillna(media["fileName"]) if "filePath" in media else media["fileName"]).astype(str)
    stamps = pd.to_datetime(media["timestamp"], utc=True).to_numpy()
    keys = [(_natural(p), t, i) for i, (p, t) in enumerate(zip(path.tolist(), stamps))]
    order = [i for _, _, i in sorted(keys)]
    return media.iloc[order].reset_index(drop=True)


def _days(td: pd.Timedelta) -> float:
    return td.total_seconds() / 86400


def _independent(ts: pd.Series, gap_s: float = 600) -> int:
    s = ts.sort_values().to_numpy()
    return int(1 + (np.diff(s) > np.timedelta64(int(gap_s), "s")).sum()) if len(s) else 0


def check_deployment(dep: pd.Series, media: pd.DataFrame, thresholds: Thresholds = Thresholds(),
                     now: pd.Timestamp | None = None) -> list[Finding]:
    """Findings for one deployment (row with deploymentID, deploymentStart/End, utcOffset, latitude, longitude)
    from its media (timestamp in UTC, filePath/fileName)."""
    th = thresholds
    did = str(dep["deploymentID"])
    start, end = pd.Timestamp(dep["deploymentStart"]), pd.Timestamp(dep["deploymentEnd"])
    now = now or pd.Timestamp.now(tz="UTC")
    tol = pd.Timedelta(days=th.tolerance_days)
    out: list[Finding] = []
    if media.empty:  # nothing to judge from (e.g. a record table without its photos): not checked
        return out
    m = _file_order(media)
    ts = pd.to_datetime(m["timestamp"], utc=True)
    corrected = ts.copy()
    # clock jumps in file order
    back = np.flatnonzero((ts.diff().dt.total_seconds() < -th.jump_s).to_numpy())
    bounds = list(back) + [len(ts)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        offset = (corrected.iloc[a - 1] - ts.iloc[a]).total_seconds() + 60
        seg = ts.iloc[a:b]
        corrected.iloc[a:b] = seg + pd.Timedelta(seconds=offset)
        out.append(Finding(did, "clock_jump", seg.min(), seg.max(),
                           f"time runs backwards after {m['fileName'].iloc[a - 1]}: {ts.iloc[a - 1]:%Y-%m-%d %H:%M} "
                           f"then {ts.iloc[a]:%Y-%m-%d %H:%M} ({b - a} photos); shift them by "
                           f"{offset / 86400:+.2f} days", b - a, fix="clock", offset_s=int(round(offset)),
                           media_ids=list(m["mediaID"].iloc[a:b]) if "mediaID" in m else []))
    earliest = pd.Timestamp(th.earliest, tz="UTC")
    wrong = (corrected < start - tol) | (corrected > end + tol) | (corrected > now) | (corrected < earliest)
    if wrong.any():
        offset = (start - corrected.min()).total_seconds()
        where = "before the set-up" if (corrected < start - tol).any() else "after the retrieval or in the future"
        out.append(Finding(did, "clock_wrong", ts.min(), ts.max(),
                           f"{int(wrong.sum())} of {len(ts)} photos are dated {where} ({ts.min():%Y-%m-%d} to "
                           f"{ts.max():%Y-%m-%d}); the camera's clock was wrong: shift by {offset / 86400:+.2f} days "
                           "(first photo = set-up)", int(wrong.sum()), fix="clock", offset_s=int(round(offset)),
                           media_ids=list(m["mediaID"]) if "mediaID" in m else []))
        corrected = corrected + pd.Timedelta(seconds=offset)
    good = corrected[(corrected >= start - tol) & (corrected <= end + tol)].sort_values()
    if good.empty:
        return out
    first, last = good.iloc[0], good.iloc[-1]
    if first - start >= pd.Timedelta(days=th.edge_days):
        out.append(Finding(did, "setup_mismatch", start, first,
                           f"first photo {_days(first - start):.1f} days after the recorded set-up: the camera did "
                           "not start, or the set-up date is wrong", 0, periods=[(start, first)]))
    if end - last >= pd.Timedelta(days=th.edge_days):
        out.append(Finding(did, "silent_end", last, end,
                           f"no photos for the last {_days(end - last):.1f} days before retrieval: dead battery or "
                           "full card", 0, periods=[(last, end)]))
    # long gaps inside, judged against the camera's own rate of independent events
    active = max(_days(last - first), 1.0)
    events = _independent(good)
    rate = events / active
    gaps = good.diff().iloc[1:]
    n_gaps = max(len(gaps), 1)
    for i in np.flatnonzero((gaps >= pd.Timedelta(days=th.gap_days)).to_numpy()):
        g = _days(gaps.iloc[i])
        p = n_gaps * np.exp(-rate * (g))
        if p < th.alpha:
            a, b = good.iloc[i], good.iloc[i + 1]
            out.append(Finding(did, "long_gap", a, b, f"no photos for {g:.1f} days mid-deployment although the "
                               f"camera averages {rate:.2f} events a day (chance {min(p, 1):.1e}): knocked over or "
                               "covered", 0, periods=[(a, b)]))
    offset_min = int(dep.get("utcOffset", 0) or 0)
    local_day = (good + pd.Timedelta(minutes=offset_min)).dt.floor("D")
    per_day = local_day.value_counts().sort_index()
    busy = per_day[per_day >= th.burst_per_day]
    if len(busy):
        periods = [((d - pd.Timedelta(minutes=offset_min)), (d - pd.Timedelta(minutes=offset_min)
                                                              + pd.Timedelta(days=1))) for d in busy.index]
        out.append(Finding(did, "false_triggers", periods[0][0], periods[-1][1],
                           f"{len(busy)} day(s) with {int(busy.min())}-{int(busy.max())} photos a day: vegetation "
                           "or sun glare triggering the camera", int(busy.sum()), periods=periods))
    lat, lon = dep.get("latitude"), dep.get("longitude")
    if len(good) >= th.night_min_photos and pd.notna(lat) and pd.notna(lon):
        night = _is_night(good, float(lat), float(lon), offset_min)
        if not night.any():
            periods = _nights(start, end, float(lat), float(lon), offset_min)
            out.append(Finding(did, "no_night", start, end, f"none of {len(good)} photos was taken between sunset "
                               "and sunrise: broken infrared flash; night-time effort is nil", 0, periods=periods))
    return out


def _is_night(ts: pd.Series, lat: float, lon: float, offset_min: int) -> np.ndarray:
    from bigcats.analysis.solar import sun_times

    local = ts + pd.Timedelta(minutes=offset_min)
    day = (local.dt.floor("D") - pd.Timestamp("1970-01-01", tz="UTC")).dt.days.to_numpy()
    rise, sset = sun_times(np.full(len(day), lat), np.full(len(day), lon), day, np.full(len(day), offset_min))
    frac = ((local - local.dt.floor("D")).dt.total_seconds() / 86400).to_numpy()
    return (frac < rise) | (frac > sset)


def _nights(start: pd.Timestamp, end: pd.Timestamp, lat: float, lon: float, offset_min: int) -> list:
    from bigcats.analysis.solar import sun_times

    off = pd.Timedelta(minutes=offset_min)
    days = pd.date_range((start + off).floor("D"), (end + off).floor("D"), freq="D")
    n = (days - pd.Timestamp("1970-01-01", tz="UTC")).days.to_numpy()
    rise, sset = sun_times(np.full(len(n), lat), np.full(len(n), lon), n, np.full(len(n), offset_min))
    out = []
    for i in range(len(days) - 1):
        a = days[i] + pd.Timedelta(days=float(sset[i])) - off
        b = days[i + 1] + pd.Timedelta(days=float(rise[i + 1])) - off
        a, b = max(a, start), min(b, end)
        if b > a:
            out.append((a, b))
    return out


def check_cameras(deployments: pd.DataFrame, media: pd.DataFrame, thresholds: Thresholds = Thresholds(),
                  now: pd.Timestamp | None = None) -> list[Finding]:
    """Findings for every deployment (survey frames: deployments and media with deploymentID)."""
    out: list[Finding] = []
    groups = dict(tuple(media.groupby("deploymentID", sort=False))) if len(media) else {}
    for _, dep in deployments.iterrows():
        out += check_deployment(dep, groups.get(dep["deploymentID"], media.iloc[0:0]), thresholds, now)
    return out
