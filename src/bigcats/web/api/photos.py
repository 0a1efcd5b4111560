"""Photos: bounded thumbnails (cached) of reference photos, sighting photos and review pairs, under access checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bigcats.web import queries
from bigcats.web.deps import Conn, LangDep, ScopeDep, SensitiveDep, StateDep, UserDep
from bigcats.web.errors import WebError
from bigcats.web.photos import SIZES, media_file_for, thumbnail

router = APIRouter(tags=["photos"])


def _jpeg(data: bytes) -> Response:
    # Private: a shared proxy must not hand one partner's photo to another user.
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _size(size: str) -> str:
    if size not in SIZES:
        raise WebError(f"size: must be one of {', '.join(SIZES)}, not {size!r}", status=404)
    return size


@router.get("/photos/reference/{image_id}/{size}.jpg")
def reference_photo(image_id: int, size: str, conn: Conn, scope: ScopeDep, state: StateDep) -> Response:
    """A reference photo of a catalogued cat (one flank), as a thumbnail without metadata."""
    path = queries.reference_photo_file(conn, scope, image_id, state.media_root, cache=state.summary)
    return _jpeg(thumbnail(path, _size(size), state.thumb_dir))


@router.get("/photos/media/{media_id}/{size}.jpg")
def media_photo(media_id: int, size: str, conn: Conn, scope: ScopeDep, state: StateDep) -> Response:
    """A photo of an observation the caller may see, as a thumbnail without metadata."""
    path = queries.media_photo_file(conn, scope, media_id, state.media_root)
    return _jpeg(thumbnail(path, _size(size), state.thumb_dir))


@router.get("/individuals/{individual_id}/photos")
def individual_photos(individual_id: int, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep,
                      lang: LangDep, state: StateDep) -> list[dict]:
    """The photos of a cat the caller may see: reference photos by flank and photos of its sightings."""
    entry = queries.individual(conn, scope, sensitive, individual_id, lang, cache=state.summary)
    photos = queries.individual_photos(conn, scope, entry, state.media_root)
    for p in photos:
        if p["date"] is not None:
            p["date"] = p["date"].isoformat()
    return photos


@router.get("/review/{proposal_id}/{which}/{size}.jpg")
def review_photo(proposal_id: int, which: str, size: str, caller: UserDep, state: StateDep) -> Response:
    """The photo to identify ('query') or the candidate's reference photo of that flank ('candidate'), bounded."""
    from bigcats.web.api.data import _visible_proposal

    if which not in ("query", "candidate"):
        raise WebError(f"{which}: must be query or candidate", status=404)
    row = _visible_proposal(state, caller, proposal_id)
    path = media_file_for(row["query_path"] if which == "query" else row["candidate_path"], state.media_root)
    if path is None:
        raise WebError(f"proposal {proposal_id}: the {which} photo is not on this server", status=404)
    return _jpeg(thumbnail(path, _size(size), state.thumb_dir))
