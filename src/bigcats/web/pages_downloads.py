"""The downloads page: every download the caller may take, by partner, project, species and period."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from bigcats.store.models import Partner, Project
from bigcats.web import queries
from bigcats.web.api.data import FiltersDep
from bigcats.web.deps import Conn, LangDep, ScopeDep
from bigcats.web.visibility import partner_filter

router = APIRouter(include_in_schema=False)


def dwca_available() -> bool:
    """Whether this bigcats has the Darwin Core Archive writer (bigcats.exchange.dwc)."""
    try:
        from bigcats.exchange import dwc  # noqa: F401
    except ImportError:
        return False
    return hasattr(dwc, "export_dwca")


@router.get("/downloads", response_class=HTMLResponse)
def downloads_page(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep) -> HTMLResponse:
    """Links to the downloads under the chosen filters, each with the precision the caller gets."""
    from bigcats.web.pages import render

    projects = conn.execute(select(Partner.code, Project.code).join(Project, Project.partner_id == Partner.id)
                            .where(partner_filter(scope, Partner.id)).order_by(Partner.code, Project.code)).all()
    query = {k: v for k, v in request.query_params.items() if k in ("species", "start", "end", "partner", "side")
             and v}
    qs = ("?" + urlencode(query)) if query else ""
    partners = queries.partners(conn, scope)
    whole = {code for code, pid in conn.execute(select(Partner.code, Partner.id)).all()
             if pid in scope.partners and scope.partners[pid].species is None
             and scope.partners[pid].embargo_from is None}
    return render(request, "downloads.html", lang, scope.caller, qs=qs, filters=f, partners=partners,
                  projects=projects, whole=whole, species=queries.species_list(conn, lang),
                  dwca=dwca_available())
