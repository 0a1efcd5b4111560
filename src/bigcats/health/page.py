"""The health report as one offline HTML page: a timeline per camera (photos as ticks, findings as bars)."""

from __future__ import annotations

from html import escape

import pandas as pd

COLOURS = {"clock_jump": "#c0392b", "clock_wrong": "#e74c3c", "setup_mismatch": "#8e44ad", "silent_end": "#d35400",
           "long_gap": "#f39c12", "false_triggers": "#16a085", "no_night": "#2c3e50"}
WIDTH, HEIGHT = 900, 46


def _x(ts, lo, hi) -> float:
    span = (hi - lo).total_seconds() or 1
    return round(10 + (WIDTH - 20) * min(max((ts - lo).total_seconds() / span, 0), 1), 1)


def render_page(report: dict, media: pd.DataFrame, title: str = "Camera health") -> str:
    """HTML text (no scripts, no external files) for `check_store`'s report and the media it looked at."""
    by_dep = {k: g["timestamp"] for k, g in media.groupby("deploymentID")} if len(media) else {}
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
             "body{font-family:sans-serif;margin:2em}h2{font-size:1em;margin:1.2em 0 .2em}.ok{color:#27ae60}"
             "li{margin:.2em 0}code{background:#eee;padding:0 .3em}</style></head><body>",
             f"<h1>{escape(title)}</h1><p>{report['healthy']} healthy deployment(s), {report['with_faults']} with "
             "faults. Confirm a fix with <code>bigcats health apply KEY</code>.</p><p>"
             + " ".join(f"<span style='color:{c}'>&#9632; {k}</span>" for k, c in COLOURS.items()) + "</p>"]
    for d in report["deployments"]:
        lo, hi = pd.Timestamp(d["start"]), pd.Timestamp(d["end"])
        ts = by_dep.get(d["deployment"], pd.Series(dtype="datetime64[ns, UTC]"))
        inside = ts[(ts >= lo - pd.Timedelta(days=3)) & (ts <= hi + pd.Timedelta(days=3))]
        pad = (hi - lo) * 0.03
        lo2, hi2 = lo - pad, hi + pad
        svg = [f"<svg width='{WIDTH}' height='{HEIGHT}' role='img' aria-label='timeline'>",
               f"<rect x='{_x(lo, lo2, hi2)}' y='18' width='{_x(hi, lo2, hi2) - _x(lo, lo2, hi2)}' height='10' "
               "fill='#ecf0f1' stroke='#95a5a6'/>"]
        mine = [f for f in report["findings"] if f["deployment"] == d["deployment"]]
        for f in mine:
            c = COLOURS.get(f["kind"], "#7f8c8d")
            for a, b in (f["periods"] or [[f["start"], f["end"]]])[:400]:
                xa, xb = _x(pd.Timestamp(a), lo2, hi2), _x(pd.Timestamp(b), lo2, hi2)
                svg.append(f"<rect x='{xa}' y='6' width='{max(xb - xa, 1.5)}' height='8' fill='{c}'>"
                           f"<title>{escape(f['kind'])}</title></rect>")
        for t in inside.sort_values().iloc[:: max(1, len(inside) // 800)]:
            svg.append(f"<line x1='{_x(t, lo2, hi2)}' x2='{_x(t, lo2, hi2)}' y1='30' y2='40' stroke='#34495e'/>")
        svg.append(f"<text x='10' y='44' font-size='9'>{escape(lo.strftime('%Y-%m-%d'))}</text>"
                   f"<text x='{WIDTH - 70}' y='44' font-size='9'>{escape(hi.strftime('%Y-%m-%d'))}</text></svg>")
        status = ("not checked: no photos" if not d.get("checked", True) else
                  "<span class='ok'>healthy</span>" if not mine else f"{len(mine)} finding(s)")
        parts.append(f"<h2>{escape(str(d['deployment_code']))} &middot; station {escape(str(d['station']))} &middot; "
                     f"{d['photos']} photos &middot; {status}</h2>" + "".join(svg))
        if mine:
            parts.append("<ul>" + "".join(f"<li><b>{escape(f['kind'])}</b>: {escape(f['message'])} &mdash; fix: "
                                          f"{escape(f['fix'])}, key <code>{escape(f['key'])}</code></li>"
                                          for f in mine) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
