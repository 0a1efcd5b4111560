"""The demo's map and report steps on a machine without Chinese fonts: one warning naming what to install, and
every file still written (a file of its own so that it runs beside the slow wheel test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_maps_and_reports_without_cjk_fonts_warn_and_finish(tmp_path):
    """The demo's map and report steps with the Chinese fonts hidden from bigcats' font finder: a warning, no crash."""
    code = f"""
import json, sys, warnings
from pathlib import Path
warnings.simplefilter("always")
from bigcats.demo.maps import run_maps
from bigcats.demo.pipeline import write_partner_packages
from bigcats.demo.reports import run_reports
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.simulate.config import SurveyConfig
from bigcats.simulate.survey import simulate_survey
from bigcats.store.db import open_store
from bigcats.store.query import load_frames
out = Path({str(tmp_path / "demo")!r}); out.mkdir(parents=True, exist_ok=True)
survey = simulate_survey(2, SurveyConfig(n_stations=100))
engine = open_store(str(out / "demo.db"))
for code, path in write_partner_packages(survey, out / "packages").items():
    share = survey.partners[code]
    import_package(engine, path, code, partner_name=share.protected_area, country=share.country)
maps = run_maps(load_frames(engine), survey.truth, out / "maps", seed=2, languages=("en", "zh"))
reports = run_reports(engine, out, languages=("zh",), n_boot=20)
print(json.dumps({{"maps": maps.get("files", []), "reports": reports}}))
"""
    env = {**os.environ, "BIGCATS_HIDE_FONTS": "zh", "HOME": str(tmp_path / "home"),
           "XDG_CACHE_HOME": str(tmp_path / "home" / ".cache"), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    env.pop("BIGCATS_FONTCONFIG_FILE", None)
    env.pop("FONTCONFIG_FILE", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-5000:]
    warned = [line for line in done.stderr.splitlines() if "RenderWarning" in line]
    assert len(warned) == 1 and "Chinese text cannot be drawn" in warned[0], done.stderr[-3000:]
    assert "fonts-noto-cjk" in warned[0] and "noto-cjk-sans-otc" in warned[0]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert any(f.endswith("area_zh.png") for f in result["maps"])
    files = [f for per in result["reports"]["reports"].values() for kind in per.values() for f in kind.values()]
    assert any(f.endswith("-zh.html") for f in files)
