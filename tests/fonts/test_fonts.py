"""Fonts for every language: found without system packages, found after matplotlib's cache, and a warning (never
an error) when a script has no font."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from bigcats import fonts


@pytest.fixture
def bare_font_manager(monkeypatch):
    """matplotlib's font list as on a machine with no system fonts: only matplotlib's own DejaVu files."""
    from matplotlib import font_manager

    own = str(fonts.matplotlib_font_dir())
    bare = font_manager.FontManager.__new__(font_manager.FontManager)
    bare.__dict__.update(font_manager.fontManager.__dict__)
    bare.ttflist = [f for f in font_manager.fontManager.ttflist if f.fname.startswith(own)]
    bare.afmlist = []
    monkeypatch.setattr(font_manager, "fontManager", bare)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    fonts._register_package_fonts.cache_clear()
    fonts._rescan_system_fonts.cache_clear()
    monkeypatch.setattr(fonts, "_warned", set())
    yield bare
    fonts._register_package_fonts.cache_clear()
    fonts._rescan_system_fonts.cache_clear()


def test_the_package_font_draws_chinese_without_any_system_font(bare_font_manager):
    assert not any("CJK" in f.name for f in bare_font_manager.ttflist)  # the premise: nothing CJK to start with
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all
        family = fonts.family_for("zh")
    assert family == "Noto Sans CJK SC"
    files = {f.fname for f in bare_font_manager.ttflist if f.name == family}
    assert files and all("noto_cjk_sans_otc" in f for f in files)
    assert fonts.family_for("ru") == fonts.family_for("mn") == "DejaVu Sans"


def test_a_font_installed_after_the_cache_was_built_is_found(bare_font_manager, monkeypatch, tmp_path):
    # the cache knows no CJK font and the package font is gone; then a system font appears (apt-get install ...)
    monkeypatch.setattr(fonts, "package_font_files", lambda: [])
    from noto_cjk_sans_otc import FONT_PATH

    installed = tmp_path / "NotoSansCJK-Regular.ttc"
    installed.symlink_to(Path(str(FONT_PATH)))
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [str(installed)])
    assert fonts.family_for("zh") == "Noto Sans CJK SC"


def test_a_script_without_a_font_warns_once_and_falls_back(bare_font_manager, monkeypatch):
    monkeypatch.setattr(fonts, "package_font_files", lambda: [])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert fonts.family_for("zh") == fonts.FALLBACK
        assert fonts.family_for("zh") == fonts.FALLBACK
        assert fonts.family_for("en") == "DejaVu Sans"
    messages = [str(w.message) for w in seen if issubclass(w.category, fonts.RenderWarning)]
    assert len(messages) == 1, messages
    assert "Chinese" in messages[0] and "noto-cjk-sans-otc" in messages[0] and "fonts-noto-cjk" in messages[0]


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        fonts.family_for("xx")


def test_fontconfig_file_adds_the_package_font_folder(tmp_path):
    dirs = [Path("/a folder/with <odd> & chars")]
    text = fonts.fontconfig_text(dirs, system=True, cache=tmp_path)
    assert "<dir>/a folder/with &lt;odd&gt; &amp; chars</dir>" in text
    assert "/etc/fonts/fonts.conf" in text
    assert "/etc/fonts" not in fonts.fontconfig_text(dirs, system=False, cache=tmp_path)


def test_pdf_draws_chinese_with_only_the_package_font(tmp_path):
    """fontconfig sees only the package's font folders (no system fonts): the PDF embeds Noto Sans CJK SC."""
    problem = fonts.pdf_problem()
    if problem:
        pytest.skip(f"no PDF engine (Pango/WeasyPrint): {problem}")
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils, scripts/system-deps.sh) is not installed")
    conf = tmp_path / "fonts.conf"
    dirs = sorted({p.parent for p in fonts.package_font_files()}) + [fonts.matplotlib_font_dir()]
    conf.write_text(fonts.fontconfig_text(dirs, system=False, cache=tmp_path / "cache"), encoding="utf-8")
    pdf = tmp_path / "zh.pdf"
    code = ("import sys; from weasyprint import HTML; HTML(string='<html lang=\"zh\"><p style=\"font-family: "
            "DejaVu Sans, Noto Sans CJK SC\">东北虎 Амурский тигр</p></html>').write_pdf(sys.argv[1])")
    env = {k: v for k, v in os.environ.items() if k != "BIGCATS_FONTCONFIG_FILE"} | {"FONTCONFIG_FILE": str(conf)}
    done = subprocess.run([sys.executable, "-c", code, str(pdf)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert "Noto-Sans-CJK-SC" in listed and "DejaVu-Sans" in listed, listed
