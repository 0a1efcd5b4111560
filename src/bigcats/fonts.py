"""Which fonts draw each language in figures, maps and PDFs, decided in one place; never fetched at run time.

- Latin and Cyrillic (en, ru, mn) are drawn in DejaVu Sans, which ships inside matplotlib.
- Chinese (zh) needs a CJK font. bigcats depends on the PyPI package `noto-cjk-sans-otc` (Noto Sans CJK, SIL Open
  Font License), so `pip install` brings one to every machine without root; a system font (Debian's
  `fonts-noto-cjk`, WenQuanYi, ...) is used when present.
- The font files bigcats knows are registered with matplotlib explicitly (`fontManager.addfont`), so a font
  installed after matplotlib built its font cache is found; when a language still has no font, the system's font
  folders are scanned once more for files the cache missed.
- WeasyPrint finds fonts through fontconfig: `configure_fontconfig()` writes a fontconfig file that adds the same
  font files' folders to the system's configuration and points `FONTCONFIG_FILE` at it before Pango starts.
- When a script cannot be drawn, one `RenderWarning` per language says what to install, and the text is drawn in
  the fallback font (empty boxes) instead of failing: the rest of the output is still made.

`BIGCATS_HIDE_FONTS=zh` (a comma-separated list of languages) hides those languages' fonts from this module, to
see what a machine without them gets.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from functools import lru_cache
from html import escape
from pathlib import Path

LANGUAGES = ("en", "ru", "zh", "mn")
FALLBACK = "DejaVu Sans"
# Families that carry each language's script, best first.
FAMILIES: dict[str, tuple[str, ...]] = {
    "zh": ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Noto Sans CJK JP", "Noto Serif CJK JP",
           "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN", "AR PL UKai CN"),
    "ru": ("DejaVu Sans", "Noto Sans"),
    "mn": ("DejaVu Sans", "Noto Sans"),
    "en": ("DejaVu Sans", "Noto Sans"),
}
INSTALL_HINT = {
    "zh": "pip install noto-cjk-sans-otc (no root needed; bigcats depends on it) or, as root, "
          "apt-get install fonts-noto-cjk",
}
NAMES = {"en": "English", "ru": "Russian", "zh": "Chinese", "mn": "Mongolian"}
PDF_HINT = ("PDF reports need the Pango library: as root, apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "(Debian/Ubuntu; scripts/setup.sh does it when it runs as root)")


class RenderWarning(UserWarning):
    """Something could not be drawn as asked (a script without a font, no PDF engine); the output goes on."""


_warned: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """A RenderWarning, given once per process for each key."""
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(message, RenderWarning, stacklevel=3)


def hidden_languages() -> set[str]:
    """Languages whose fonts BIGCATS_HIDE_FONTS hides (to try what a machine without them gets)."""
    return {part.strip() for part in os.environ.get("BIGCATS_HIDE_FONTS", "").split(",") if part.strip()}


def _hidden_families() -> set[str]:
    hidden = hidden_languages()
    return {family for lang in hidden for family in FAMILIES.get(lang, ()) if family != FALLBACK}


def package_font_files() -> list[Path]:
    """Font files that come with bigcats' Python dependencies: Noto Sans CJK (noto-cjk-sans-otc), if installed."""
    if "zh" in hidden_languages():
        return []
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return []
    path = Path(str(FONT_PATH))
    return [path] if path.is_file() else []


def matplotlib_font_dir() -> Path:
    """matplotlib's own TrueType folder (DejaVu Sans and Serif: Latin, Cyrillic, Greek)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=1)
def _register_package_fonts() -> None:
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in package_font_files():
        if str(path) not in known:
            font_manager.fontManager.addfont(str(path))


@lru_cache(maxsize=1)
def _rescan_system_fonts() -> int:
    # matplotlib's cache lists the fonts that were there when it was built; add any system font file it missed
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
                added += 1
            except (OSError, RuntimeError, ValueError):  # an unreadable or unsupported file: skip it
                continue
    return added


def _installed_families() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist} - _hidden_families()


def family_for(language: str) -> str:
    """The font family to draw a language in with matplotlib; the fallback, with one warning, when none is found."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    _register_package_fonts()
    for attempt in range(2):
        installed = _installed_families()
        for name in FAMILIES[language]:
            if name in installed:
                return name
        if attempt == 0 and not _rescan_system_fonts():
            break
    warn_once(f"font-{language}", f"{NAMES[language]} text cannot be drawn: no font with its script was found "
                                  f"(tried {', '.join(FAMILIES[language])}); it is drawn in {FALLBACK} and shows "
                                  f"as empty boxes. Install one: {INSTALL_HINT.get(language, 'fonts-dejavu-core')}")
    return FALLBACK


def can_draw(language: str) -> bool:
    """Whether a font with the language's script is available (without warning)."""
    _register_package_fonts()
    installed = _installed_families()
    if any(name in installed for name in FAMILIES[language]):
        return True
    _rescan_system_fonts()
    return any(name in _installed_families() for name in FAMILIES[language])


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for folder in (Path(base) / "bigcats" / "fontconfig", Path(tempfile.gettempdir()) / f"bigcats-fontconfig-{os.getuid()}"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix="bigcats-fontconfig-"))


def fontconfig_text(font_dirs: list[Path], system: bool, cache: Path) -> str:
    """A fontconfig configuration: the system's (unless `system` is false) plus `font_dirs`."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>"]
    if system:
        lines.append('  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>')
    lines += [f"  <dir>{escape(str(d))}</dir>" for d in font_dirs]
    lines.append(f"  <cachedir>{escape(str(cache))}</cachedir>")
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def configure_fontconfig() -> Path | None:
    """Point fontconfig (WeasyPrint's PDFs) at bigcats' fonts as well as the system's; call before WeasyPrint starts.

    A FONTCONFIG_FILE the user set is kept as it is. Returns the file written, or None.
    """
    if os.environ.get("FONTCONFIG_FILE") and not os.environ.get("BIGCATS_FONTCONFIG_FILE"):
        return None
    dirs = sorted({p.parent for p in package_font_files()}) + [matplotlib_font_dir()]
    cache = _cache_dir()
    # with hidden fonts the system's folders (which may hold CJK fonts) are left out too
    text = fontconfig_text(dirs, system=not hidden_languages(), cache=cache / "cache")
    import hashlib

    # one file per content: processes with different hidden fonts never overwrite each other's
    path = cache / f"fonts-{hashlib.sha256(text.encode()).hexdigest()[:12]}.conf"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    os.environ["FONTCONFIG_FILE"] = str(path)
    os.environ["BIGCATS_FONTCONFIG_FILE"] = str(path)  # ours, so a later call in a child may rewrite it
    return path


def pdf_problem() -> str | None:
    """Why PDFs cannot be written on this machine (WeasyPrint or its Pango library missing), or None."""
    configure_fontconfig()
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"{PDF_HINT} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    return None
