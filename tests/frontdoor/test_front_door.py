"""The front door: the wheel, installed into a clean virtual environment with a fresh HOME, runs `bigcats --help`
and `bigcats demo --quick`, and its maps have country outlines (the package's own data files, not the checkout's).

Slow (minutes: the wheel's dependencies are installed from pip's cache, or from PyPI the first time), so it runs
once in the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a new user: a fresh HOME and caches, no PYTHONPATH pointing at the checkout."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "CI", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
            "NO_PROXY", "no_proxy", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
    # pip's own settings of this machine (index, certificates, local wheels) are the machine's, not a user's cache
    env = {k: v for k, v in os.environ.items() if k in keep or (k.startswith("PIP_") and k != "PIP_CACHE_DIR")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), **extra)
    return env


def _pip_cache() -> str:
    # pip's own cache of the user running the suite (scripts/setup.sh filled it), so nothing is downloaded twice
    return os.environ.get("PIP_CACHE_DIR") or str(Path(os.path.expanduser("~")) / ".cache" / "pip")


def _run(argv: list, env: dict, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} exited {done.returncode}\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-5000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the clean venv's bin folder, a fresh HOME) with the wheel built from this checkout installed."""
    base = tmp_path_factory.mktemp("frontdoor")
    home = base / "home"
    home.mkdir()
    env = _clean_env(home, PIP_CACHE_DIR=_pip_cache(), PIP_DISABLE_PIP_VERSION_CHECK="1")
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, ROOT], env, base, 900)
    wheel = next(dist.glob("bigcats-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("bigcats/data/naturalearth/countries_ne_asia_50m.geojson",
                   "bigcats/web/static/vendor/swagger-ui/swagger-ui-bundle.js",
                   "bigcats/exchange/camtrapdp/schemas/"):
        assert any(n.startswith(needed) for n in names), f"{needed} is not in the wheel"
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], env, base, 1800)
    return bin_dir, home


def test_help_and_quick_demo_from_the_wheel(installed, tmp_path):
    bin_dir, home = installed
    env = _clean_env(home)
    # the installed package, not this checkout
    where = _run([bin_dir / "python", "-c", "import bigcats, bigcats.geo.maps as m; print(bigcats.__file__); "
                  "print(m.DEFAULT_COUNTRIES, m.DEFAULT_COUNTRIES.is_file())"], env, tmp_path, 300).stdout.split()
    assert where[0].startswith(str(bin_dir.parent)) and where[1].startswith(str(bin_dir.parent)) and where[2] == "True"
    helped = _run([bin_dir / "bigcats", "--help"], env, tmp_path, 120)
    assert "demo" in helped.stdout and "density" in helped.stdout
    out = tmp_path / "demo"
    done = _run([bin_dir / "bigcats", "demo", "--quick", "--out", out], env, tmp_path, 1800)
    # off a terminal: one plain line per step, then where the results are
    assert "bigcats demo: [1/" in done.stderr and "Results are in" in done.stderr, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["imports"] and summary["reports"]["reports"]
    area = out / "maps" / "area_en.svg"
    svg = area.read_text(encoding="utf-8")
    # the country outlines (their fill) and the countries' names are drawn from the packaged Natural Earth file
    assert "#f2efe9" in svg and "China" in svg and "Russia" in svg
    zh_pdfs = list((out / "reports").glob("status-*-zh.pdf"))
    assert zh_pdfs, sorted(p.name for p in (out / "reports").iterdir())
