"""Country sides: every station must say which side of the border it is on before anything is split by side."""

from __future__ import annotations

from bigcats.core.frames import SurveyFrames
from bigcats.errors import BigcatsError


class MissingSide(BigcatsError):
    """Deployments whose country side is unknown: results by side cannot be given."""

    code = "missing-country"


def require_sides(frames: SurveyFrames) -> None:
    """Refuse, with the fix, when deployments have no country side (data imported without --country)."""
    deps = frames.deployments
    if "country" not in deps.columns:
        missing = deps
    else:
        missing = deps[deps["country"].isna() | (deps["country"].astype("string").str.strip() == "")]
    if len(missing):
        partners = sorted(missing["partner"].dropna().astype(str).unique()) if "partner" in missing else []
        shown = ", ".join(missing["deploymentID"].astype(str).head(5))
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise MissingSide(
            f"no country side for {len(missing)} deployment(s) ({shown}{more})"
            + (f" of partner {', '.join(partners)}" if partners else ""),
            hint="import with `--country ISO3` (e.g. `bigcats import camtrap-dp PATH --partner P --country RUS`) "
                 "or add a `country:XXX` deployment tag")
