"""`bigcats --help` and every `bigcats COMMAND --help` start at once: no heavy library is imported for them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Libraries that cost seconds or tens of MiB at import; a command imports them in its body, where it uses them.
HEAVY = ("pandas", "numpy", "scipy", "geopandas", "shapely", "pyproj", "rasterio", "pyogrio", "matplotlib", "cv2",
         "faiss", "weasyprint", "dask", "distributed", "sqlalchemy", "alembic", "fastapi", "frictionless", "pyarrow",
         "PIL", "babel", "jinja2", "uvicorn", "httpx", "cryptography", "openpyxl", "pydantic")

PROBE = textwrap.dedent("""
    import json, sys
    import click
    from typer.main import get_command
    from bigcats.cli import app

    root = get_command(app)
    paths = []

    def walk(cmd, path):
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    codes = {}
    for path in paths:
        try:
            root.main([*path, "--help"], prog_name="bigcats", standalone_mode=False)
            codes[" ".join(path)] = 0
        except SystemExit as exc:
            codes[" ".join(path)] = exc.code
    heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
    print(json.dumps({"commands": codes, "heavy": heavy}))
""")


def test_help_of_every_command_imports_no_heavy_library():
    """Walks every command and sub-command, prints its help in one process, then looks at what got imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # the walk reached the commands this test is about, so an empty list below means something
    for path in ("", "density", "import camtrap-dp", "demo", "analyse abundance", "maps render", "serve", "report"):
        assert path in result["commands"], sorted(result["commands"])
    assert len(result["commands"]) > 40
    assert result["heavy"] == [], f"--help imported {result['heavy']}"


def test_bigcats_help_runs_as_a_console_command():
    done = subprocess.run([sys.executable, "-c", "from bigcats.cli import main; main()", "density", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--species" in done.stdout
