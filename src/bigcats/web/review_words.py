"""What the review page says beside each proposed match: when and where the photo was taken, the candidate's other
photos, and the matcher's score in words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, select

from bigcats.identify.match import DEFAULT_THRESHOLD
from bigcats.store.models import Deployment, Individual, IndividualAlias, Media, Partner, Station
from bigcats.store.models_identify import IndividualImage
from bigcats.web.photos import media_file_for
from bigcats.web.visibility import Scope


def score_words(score: float | None, rank: int | None, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """The matcher's verdict as a level and a sentence key (translated by the page): strong, likely, weak, none."""
    if score is None or score != score:
        return {"level": "none", "threshold": threshold}
    if score >= 2 * threshold:
        level = "strong"
    elif score >= threshold:
        level = "likely"
    else:
        level = "weak"
    return {"level": level, "threshold": threshold, "ratio": round(score / threshold, 1) if threshold else None,
            "rank": rank}


def review_extras(conn: Connection, scope: Scope, items: list[dict], media_root: Path | None) -> list[dict]:
    """Items of the review queue with the photo's date, station, camera and side, the candidate's other
    reference photos (those the caller may see, under the media root) and the score in words."""
    media_ids = [int(i["media_id"]) for i in items if i.get("media_id") is not None]
    meta = {}
    if media_ids:
        rows = conn.execute(select(Media.id, Media.timestamp_utc, Media.utc_offset, Station.code, Station.country,
                                   Deployment.camera_model, Deployment.camera_id, Partner.code.label("partner"))
                            .join(Deployment, Media.deployment_id == Deployment.id)
                            .join(Station, Deployment.station_id == Station.id)
                            .join(Partner, Station.partner_id == Partner.id)
                            .where(Media.id.in_(media_ids))).all()
        for r in rows:
            local = pd.Timestamp(r.timestamp_utc) + pd.Timedelta(minutes=int(r.utc_offset or 0))
            sign = "+" if (r.utc_offset or 0) >= 0 else "-"
            off = abs(int(r.utc_offset or 0))
            meta[r.id] = {"date": f"{local:%Y-%m-%d %H:%M} {sign}{off // 60:02d}:{off % 60:02d}",
                          "station": r.code, "country": r.country, "camera": " ".join(
                              str(v) for v in (r.camera_model, r.camera_id) if v) or None}
    cand_ids = sorted({int(i["individual_id"]) for i in items if i.get("individual_id") is not None})
    photos: dict[int, list[dict]] = {}
    aliases: dict[int, list[str]] = {}
    if cand_ids:
        for ind, partner, code in conn.execute(
                select(IndividualAlias.individual_id, Partner.code, IndividualAlias.code)
                .join(Partner, IndividualAlias.partner_id == Partner.id)
                .where(IndividualAlias.individual_id.in_(cand_ids))).all():
            aliases.setdefault(ind, []).append(f"{partner}:{code}")
        from bigcats.web.queries import _image_partner

        pids = dict(conn.execute(select(Partner.code, Partner.id)).all())
        species = dict(conn.execute(select(Individual.id, Individual.species_id)
                                    .where(Individual.id.in_(cand_ids))).all())
        for r in conn.execute(select(IndividualImage.id, IndividualImage.individual_id, IndividualImage.side,
                                     IndividualImage.file_path)
                              .where(IndividualImage.individual_id.in_(cand_ids))
                              .order_by(IndividualImage.id)).all():
            if media_file_for(r.file_path, media_root) is None:
                continue
            partner = _image_partner(Path(r.file_path).stem, aliases.get(r.individual_id, []))
            access = scope.partners.get(pids.get(partner)) if partner else None
            if partner and (access is None or (access.species is not None
                                               and species.get(r.individual_id) not in access.species)):
                continue
            photos.setdefault(r.individual_id, []).append({
                "id": r.id, "flank": r.side, "partner": partner,
                "url": f"/api/photos/reference/{r.id}/thumb.jpg", "large": f"/api/photos/reference/{r.id}/large.jpg"})
    out = []
    for i in items:
        m = meta.get(int(i["media_id"])) if i.get("media_id") is not None else None
        ind = int(i["individual_id"]) if i.get("individual_id") is not None else None
        out.append(i | {"taken": m, "candidateAliases": aliases.get(ind, []),
                        "candidatePhotos": photos.get(ind, [])[:24], "scoreWords": score_words(i.get("score"),
                                                                                                i.get("rank")),
                        "queryLarge": f"/api/review/{i['id']}/query/large.jpg",
                        "queryThumb": f"/api/review/{i['id']}/query/medium.jpg",
                        "candidateLarge": f"/api/review/{i['id']}/candidate/large.jpg" if ind else None,
                        "candidateThumb": f"/api/review/{i['id']}/candidate/medium.jpg" if ind else None})
    return out
