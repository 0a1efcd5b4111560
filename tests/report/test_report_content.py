"""The report's numbers agree with the analyses; the brochure hides stations; every word is translated."""

from __future__ import annotations

import json

import dataclasses
import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from typer.testing import CliRunner

import bigcats.report.words as words_module
from bigcats.cli.errors import BigcatsTyper
from bigcats.errors import BigcatsError
from bigcats.geo.privacy import generalise
from bigcats.i18n import LOCALE_DIR
from bigcats.report import (
    ReportError, Words, build_status, movement_summary, parse_period, population_table, render, resolve_area,
)

REPORT_SRC = Path(words_module.__file__).parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def test_numbers_agree_with_the_survey_summary(status, demo_db):
    """Individuals per side and on both, and trap-nights, as the demo's own summary counts them."""
    summary = demo_db["summary"]
    tiger = summary["individuals"]["Panthera tigris altaica"]
    assert status.individual_counts["per_side"] == tiger["per_side"]
    assert status.individual_counts["both"] == tiger["on_both_sides"]
    assert status.individual_counts["total"] == tiger["identified"]
    effort = status.effort.set_index("country")["trapNights"]
    for side, nights in summary["trap_nights"].items():
        assert effort[side] == pytest.approx(nights, abs=0.1)
    rai = status.target_rai("all")
    assert rai["rai"] == pytest.approx(rai["events"] / effort["all"] * 100)
    assert rai["lower"] < rai["rai"] < rai["upper"]
    # The simulator's tigers are detected on both sides, and their activity level is a fraction of the day.
    assert set(status.sides) == {"CHN", "RUS"}
    assert 0 < status.activity.level_ci[0] < status.activity.level < status.activity.level_ci[1] < 1
    assert (status.overlaps["lower"] <= status.overlaps["estimate"]).all()
    assert (status.overlaps["estimate"] <= status.overlaps["upper"]).all()


def test_brochure_shows_no_station_positions(rendered, status, demo_db):
    stations = status.stations
    exact = {(round(lon, 4), round(lat, 4)) for lon, lat in zip(stations["longitude"], stations["latitude"])}
    for lang in ("en", "zh"):
        result = rendered[("brochure", lang)]
        cells = result.cells
        assert len(cells) < len(stations)  # stations were pooled into cells
        assert cells["events"].sum() == stations["events"].sum()  # and nothing was lost
        shown = {(round(lon, 4), round(lat, 4)) for lon, lat in zip(cells["longitude"], cells["latitude"])}
        assert not shown & exact
        # Each shown point is a cell centre: generalising it again does not move it.
        glon, glat = generalise(cells["longitude"].to_numpy(), cells["latitude"].to_numpy())
        np.testing.assert_allclose(glon, cells["longitude"], atol=1e-5)
        np.testing.assert_allclose(glat, cells["latitude"], atol=1e-5)
        html = result.files["html"].read_text(encoding="utf-8")
        text = subprocess.run(["pdftotext", str(result.files["pdf"]), "-"], capture_output=True, text=True).stdout
        for code in stations["locationID"]:
            assert code not in html and code not in text, f"station {code} named in the brochure"
        for lon, lat in exact:
            for form in (f"{lat:.3f}", f"{lon:.3f}"):
                assert form not in html and form not in text
    # The restricted report does name its stations' individuals and partner codes; the brochure does not.
    full = rendered[("status", "en")].files["html"].read_text(encoding="utf-8")
    some = status.individuals["individualID"].iloc[0]
    assert some in full and some not in rendered[("brochure", "en")].files["html"].read_text(encoding="utf-8")


def _messages() -> dict[str, str]:
    found = extract_from_dir(
        str(REPORT_SRC), method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}})
    return {msg: fn for fn, _, msg, _, _ in found}


@pytest.mark.parametrize("lang", ["ru", "zh", "mn"])
def test_every_message_is_translated(lang):
    messages = _messages()
    assert len(messages) > 80
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "report.po", "rb") as fh:
        catalog = read_po(fh)
    for msgid, where in messages.items():
        entry = catalog.get(msgid)
        assert entry is not None, f"{lang}: {msgid!r} ({where}) is not in the catalogue"
        assert entry.string and not entry.fuzzy, f"{lang}: {msgid!r} has no checked translation"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid
    if lang == "zh":
        assert all(HAN_OR_DIGIT.search(catalog.get(m).string) for m in messages if m not in ("N",))


HAN_OR_DIGIT = re.compile(r"[\u4E00-\u9FFF\d]")


def test_a_missing_translation_falls_back_to_english(status, tmp_path, monkeypatch):
    with open(LOCALE_DIR / "ru" / "LC_MESSAGES" / "report.po", "rb") as fh:
        catalog = read_po(fh, locale="ru", domain="report")
    del catalog["1. Survey effort"]
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    partial = Translations(fp=buffer, domain="report")
    monkeypatch.setattr(words_module, "translations", lambda lang, domain: partial)
    html = render(status, "ru", tmp_path, formats=("html",), kind="status").files["html"].read_text(encoding="utf-8")
    assert "1. Survey effort" in html  # English, not an empty heading
    assert "2. Регистрации и относительное обилие" in html  # the rest stays Russian
    assert re.search(r"<h2>\s*</h2>", html) is None


def test_sections_not_given_say_not_estimated_and_given_ones_show(status, tmp_path):
    # The demo stored its winter track census: the report reads it from the database (issue 14).
    assert status.census is not None and {"prey", "tigers"} <= set(status.census)
    bare = render(dataclasses.replace(status, census=None), "en", tmp_path / "bare",
                  formats=("html",)).files["html"].read_text(encoding="utf-8")
    assert "Not estimated: no spatial capture-recapture result" in bare
    assert "Not estimated: no winter track census" in bare
    stored = render(status, "en", tmp_path / "stored", formats=("html",)).files["html"].read_text(encoding="utf-8")
    assert "Not estimated: no winter track census" not in stored
    moves = pd.DataFrame({"individualID": ["A", "B", "C"], "scientificName": [status.species] * 3,
                          "both_sides": [True, False, True], "crossings": [3, 0, 1],
                          "max_distance_m": [12_500.0, 3_000.0, 40_250.0]})
    given = dataclasses.replace(
        status, population=population_table([{"region": "all", "density": 0.91, "densityLower": 0.62,
                                               "densityUpper": 1.34, "N": 27.0, "NLower": 19.0, "NUpper": 39.0}]),
        movement=movement_summary(moves, status.species))
    html = render(given, "ru", tmp_path / "given", formats=("html",)).files["html"].read_text(encoding="utf-8")
    assert "0,91 (0,62–1,34)" in html and "27 (19–39)" in html
    assert "40,2 км" in html or "40,3 км" in html  # longest distance, in km with a decimal comma
    assert "не оценено" not in html.split("6. Трансграничные")[1].split("7.")[0]


def test_bad_requests_are_named(inputs):
    with pytest.raises(BigcatsError, match="did you mean"):
        build_status(inputs, "Amur tigre")
    with pytest.raises(BigcatsError, match="choose one of: all, CHN, RUS"):
        build_status(inputs, "Amur tiger", area="Primorye")
    with pytest.raises(BigcatsError, match="no camera was working"):
        build_status(inputs, "Amur tiger", period="2019")
    with pytest.raises(BigcatsError, match="2024-13"):
        parse_period("2024-13")
    with pytest.raises(BigcatsError, match="ends before it starts"):
        parse_period("2024-06/2024-01")
    with pytest.raises(BigcatsError, match="en, ru, zh, mn"):
        Words("fr")


def test_periods_and_areas():
    p = parse_period("2023-11/2024-04")
    assert p.start == pd.Timestamp("2023-11-01", tz="UTC") and p.end == pd.Timestamp("2024-05-01", tz="UTC")
    assert parse_period("2024").last_day == pd.Timestamp("2024-12-31", tz="UTC")
    deps = pd.DataFrame({"country": ["RUS", "CHN"], "partner": ["LLNP", "NCTLNP"],
                         "protectedArea": ["Land of the Leopard National Park", "NE China Tiger and Leopard NP"]})
    assert resolve_area(deps, "llnp").kind == "partner"
    assert resolve_area(deps, "CHN").kind == "country"
    assert resolve_area(deps, "ALL").kind == "all"


def test_period_clips_effort(inputs, status):
    spring = build_status(inputs, "Amur tiger", "RUS", "2024-03/2024-05", n_boot=50, prey=[])
    assert spring.sides == ["RUS"]
    nights = spring.effort.set_index("country")["trapNights"]
    stations = int(spring.effort.set_index("country").loc["RUS", "stations"])
    assert nights["RUS"] <= stations * 92 + 1e-6  # at most 92 days a station in March to May
    assert nights["RUS"] < status.effort.set_index("country").loc["RUS", "trapNights"]


def test_cli_writes_the_report(demo_db, tmp_path):
    from bigcats.cli.report import report

    app = BigcatsTyper()
    app.command()(report)
    db = str(demo_db["out"] / "bigcats-demo.db")
    res = CliRunner().invoke(app, ["--species", "Amur leopard", "--area", "CHN", "--period", "2024-06",
                                   "--language", "mn", "--format", "html", "--out", str(tmp_path), "--db", db,
                                   "--brochure", "--json"])
    assert res.exit_code == 0, res.output
    assert '"kind": "brochure"' in res.output
    (html,) = tmp_path.glob("brochure-Panthera_pardus_orientalis-CHN-mn.html")
    assert "Амарын цоохор ирвэс" in html.read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, ["--species", "Amur lion", "--db", db])
    assert bad.exit_code == 1 and "matches no species name" in bad.output


def test_cli_report_of_the_whole_area_estimates_density(demo_db, tmp_path):
    from bigcats.cli.report import report

    app = BigcatsTyper()
    app.command()(report)
    db = str(demo_db["out"] / "bigcats-demo.db")
    res = CliRunner().invoke(app, ["--species", "Panthera tigris altaica", "--language", "en", "--format", "html",
                                   "--out", str(tmp_path), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["numbers"]["population"]
    whole = next(r for r in rows if r["region"] == "all")
    assert whole["densityLower"] < whole["density"] < whole["densityUpper"]
    assert sum(r["N"] for r in rows if r["region"] != "all") == pytest.approx(whole["N"], rel=1e-6)


def test_demo_step_writes_reports(demo_db):
    from bigcats.demo.reports import run_reports

    result = run_reports(demo_db["engine"], demo_db["out"], languages=("ru",),
                         species=("Panthera pardus orientalis", "Panthera uncia"), n_boot=50)
    files = result["reports"]["Panthera pardus orientalis"]
    assert set(files) == {"status-ru", "brochure-ru"}
    assert all(Path(p).stat().st_size > 10_000 for kind in files.values() for p in kind.values())
    assert "Panthera uncia" not in result["reports"]  # not in the simulated survey: no empty report


def test_winter_census_section_shows_fmp_densities(status, tmp_path):
    from bigcats.census.fmp import estimate_density
    from bigcats.census.simulate import simulate_census
    from bigcats.report import census_tables

    truth = pd.DataFrame({"unit": ["A", "A", "B", "B"], "country": ["RUS", "RUS", "CHN", "CHN"],
                          "species": ["Sus scrofa", "Cervus nippon"] * 2, "density_km2": [1.5, 0.8, 0.5, 2.0]})
    travel = pd.Series({"Sus scrofa": 4.0, "Cervus nippon": 3.0})
    sim = simulate_census(truth, travel, routes_per_unit=6, seed=5)
    fmp = estimate_density(sim.routes, sim.crossings, travel, n_boot=100, seed=5)
    census = census_tables(fmp=fmp, species=status.species)
    boar_rus = census["prey"].query("country == 'RUS' and species == 'Sus scrofa'").iloc[0]
    assert 0.5 < boar_rus["density_km2"] / 1.5 < 2  # a real estimate, near the simulated 1.5 per km²
    html = render(dataclasses.replace(status, census=census), "zh", tmp_path, formats=("html",)).files["html"]
    text = html.read_text(encoding="utf-8")
    assert "野猪" in text and "冬季雪地足迹调查" in text
    assert Words("zh").interval(boar_rus["density_km2"], boar_rus["lower"], boar_rus["upper"], 2) in text
    assert "本报告未提供冬季足迹调查数据" not in text
