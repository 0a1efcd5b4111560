"""`bigcats health`: camera faults found in the photos themselves, and the fixes a user confirms."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit

app = BigcatsTyper(help="Camera health from the photos: clocks, silent cameras, false triggers, broken infrared.",
                  no_args_is_help=True)


@app.command("check")
def check(
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner's deployments.")] = None,
    deployment: Annotated[int | None, typer.Option("--deployment", help="Only this deployment (id).")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an offline HTML page with a timeline per "
                                              "camera.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check every deployment's photo stream; list the findings with the fix each offers (nothing is changed)."""
    from bigcats.health.page import render_page
    from bigcats.health.store import _frames, check_store
    from bigcats.store.db import open_store

    engine = open_store(db)
    report = check_store(engine, partner, deployment)
    if html is not None:
        _, media = _frames(engine, partner, deployment)
        html.write_text(render_page(report, media), encoding="utf-8")
        report["html"] = str(html)
    lines = [f"{report['healthy']} healthy, {report['with_faults']} with faults"]
    lines += [f"{f['deployment_code']} {f['kind']}: {f['message']}\n    fix: {f['fix']}  key: {f['key']}"
              for f in report["findings"]]
    emit(report, as_json, human="\n".join(lines))


@app.command("apply")
def apply(
    keys: Annotated[list[str], typer.Argument(help="Keys of the findings to fix (from `bigcats health check`).")],
    by: Annotated[str | None, typer.Option("--by", help="Who confirms (kept with each correction).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the confirmed fixes: outages (no effort) and clock corrections (photo times shifted), each once."""
    from bigcats.health.store import apply_findings
    from bigcats.store.db import open_store

    done = apply_findings(open_store(db), keys, confirmed_by=by)
    emit(done, as_json, human=", ".join(f"{k}: {v}" for k, v in done.items()))
