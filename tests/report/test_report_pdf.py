"""What a reader sees: the PDF's text in each script, numbers in the reader's locale, fonts embedded, pages drawn."""

from __future__ import annotations

import re
import subprocess

import numpy as np
from PIL import Image

from bigcats.i18n import format_number

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
HAN = re.compile(r"[\u4E00-\u9FFF]")
# Letters of Mongolian Cyrillic that Russian does not have.
MONGOLIAN_ONLY = re.compile(r"[өүӨҮ]")


def pdf_text(path) -> str:
    """The text of a PDF as pdftotext reads it, with non-breaking and thin spaces made plain, lines joined."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def plain(text: str) -> str:
    """Formatted numbers compared with their spaces made plain, as in pdf_text."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_text_of_each_language_is_in_its_pdf(rendered, status):
    texts = {lang: pdf_text(rendered[("status", lang)].files["pdf"]) for lang in ("en", "ru", "zh", "mn")}
    assert "Status report: Amur tiger" in texts["en"]
    assert not CYRILLIC.search(texts["en"].split("References")[0])  # the English body has no stray Russian
    # Species names come from the taxonomy, section titles from the report catalogue.
    assert "Амурский тигр" in texts["ru"] and "Учётное усилие" in texts["ru"]
    assert len(CYRILLIC.findall(texts["ru"])) > 500
    assert "东北虎" in texts["zh"] and "调查努力量" in texts["zh"] and "参考文献" in texts["zh"]
    assert len(HAN.findall(texts["zh"])) > 300
    assert "Амарын бар" in texts["mn"] and "Судалгааны хүчин чармайлт" in texts["mn"]
    assert MONGOLIAN_ONLY.search(texts["mn"]) and not MONGOLIAN_ONLY.search(texts["ru"])
    # Every language has the same methods page and its references.
    for text in texts.values():
        assert "Ridout M.S., Linkie M. (2009)" in text and "Vitkalova A.V." in text


def test_numbers_are_in_the_readers_locale(rendered, status):
    nights = float(status.effort.loc[status.effort["country"] == "all", "trapNights"].iloc[0])
    assert nights > 10_000  # big enough to need digit grouping
    forms = {lang: plain(format_number(nights, lang)) for lang in ("en", "ru", "zh", "mn")}
    assert forms["en"] != forms["ru"]  # 50,112 against 50 112: the test can tell locales apart
    for lang, form in forms.items():
        text = pdf_text(rendered[("status", lang)].files["pdf"])
        assert form in text, f"{lang}: trap-nights {form!r} not in the PDF"
    rai = status.target_rai("all")
    assert plain(format_number(rai["rai"], "ru", 2)) in pdf_text(rendered[("status", "ru")].files["pdf"])
    assert "," in plain(format_number(rai["rai"], "ru", 2))  # Russian decimal comma


def test_fonts_with_the_script_are_embedded(rendered):
    for lang in ("zh", "ru", "mn"):
        fonts = subprocess.run(["pdffonts", str(rendered[("status", lang)].files["pdf"])], check=True,
                               capture_output=True, text=True).stdout.splitlines()[2:]
        assert fonts, f"{lang}: no fonts in the PDF"
        # Every font embedded (no viewer substitution, so no empty boxes on the partners' machines).
        assert all(" yes " in line for line in fonts), fonts
        if lang == "zh":
            assert any("CJK" in line for line in fonts), fonts


def test_pages_render_to_images_with_ink(rendered, tmp_path):
    for lang in ("en", "ru", "zh", "mn"):
        stem = tmp_path / f"page-{lang}"
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1",
                        str(rendered[("status", lang)].files["pdf"]), str(stem)], check=True)
        (png,) = tmp_path.glob(f"page-{lang}*.png")
        pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
        ink = (pixels < 128).mean()
        assert 0.005 < ink < 0.5, f"{lang}: first page looks {'blank' if ink <= 0.005 else 'black'} ({ink:.3f})"


def test_same_key_figures_in_every_language(rendered):
    def key_numbers(lang: str) -> list[float]:
        html = rendered[("status", lang)].files["html"].read_text(encoding="utf-8")
        block = html.split('class="keyfigures"')[1].split("</div>\n</div>")[0]
        values = re.findall(r"<b>(.*?)</b>", block)
        out = []
        for v in values:
            v = plain(v).replace(" ", "")
            # en/zh/mn use '.' for decimals and ',' for groups; ru ',' for decimals.
            v = v.replace(",", ".") if lang == "ru" else v.replace(",", "")
            out += [float(x) for x in re.findall(r"\d+(?:\.\d+)?", v)]
        return out

    en = key_numbers("en")
    assert len(en) >= 8
    for lang in ("ru", "zh", "mn"):
        assert key_numbers(lang) == en, lang
