"""The demo's identification step on a simulated survey whose two catalogues are not yet reconciled."""

from __future__ import annotations

import pytest

from bigcats.demo import pipeline
from bigcats.demo.identification import REVIEWER, run_identification
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.identify import catalogue as cat
from bigcats.simulate import simulate_survey
from bigcats.store.db import open_store
from bigcats.store.query import catalogue_aliases, load_frames


@pytest.fixture(scope="module")
def unreconciled(tmp_path_factory):
    """The simulated survey imported with each partner's own codes only: one tiger is two catalogue entries."""
    out = tmp_path_factory.mktemp("demo_id")
    survey = simulate_survey(1)
    engine = open_store(str(out / "demo.db"))
    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "catalogue_codes", lambda s: s.truth.codes.assign(catalogueID=None))
    try:
        paths = pipeline.write_partner_packages(survey, out / "packages")
    finally:
        mp.undo()
    for code, path in paths.items():
        share = survey.partners[code]
        import_package(engine, path, code, partner_name=share.protected_area, country=share.country)
    return engine, survey, out


def test_reconciliation_merges_the_true_pairs_and_fills_the_review_queue(unreconciled):
    engine, survey, out = unreconciled
    before = catalogue_aliases(engine)
    assert before["individualID"].nunique() == len(before)  # nothing linked across the border yet
    report = run_identification(engine, survey.truth, out, seed=1, individuals_per_species=8, photos=4)
    codes = survey.truth.codes
    aliases = catalogue_aliases(engine).merge(codes, on=["partner", "partnerCode", "scientificName"])
    for species, r in report["species"].items():
        assert r["true_pairs"] >= 3 and r["infrared"] > 0
        # Judged against the truth: every accepted pair one animal, nearly every true pair found.
        assert r["precision"] == 1.0 and r["recall"] >= 0.8, r
        assert r["merged"] == r["accepted"] and r["already_one"] == 0
        # In the store, the accepted pairs are now one individual with both partners' codes ...
        sp = aliases[aliases["scientificName"] == species]
        per_animal = sp.groupby("trueID")["individualID"].nunique()
        per_code = sp.groupby("individualID")["trueID"].nunique()
        assert (per_code == 1).all()  # no individual holds two true animals
        assert (per_animal == 1).sum() >= r["correct"]
        # ... and the photos of known animals wait for a person, the right animal proposed first.
        shown = [p for p in r["new_photos"] if p["truth"] != "new individual"]
        assert shown and all(p["proposed"] == p["truth"] for p in shown)
        # A stranger may resemble a known cat; it is only proposed, and waits for a person like the rest.
        assert r["queued_for_review"] >= len(r["new_photos"])
    hist = cat.history(engine)
    merges = hist[hist["action"] == "merge"]
    assert len(merges) == sum(r["merged"] for r in report["species"].values()) and set(merges["who"]) == {REVIEWER}
    assert report["review_queue"] == len(cat.pending(engine)) > 0
    # Proposals are not identifications: the analyses see the merged catalogue codes and nothing else new.
    obs = load_frames(engine).observations
    merged_codes = set(cat.list_individuals(engine, include_merged=True).query("status == 'merged'")["code"])
    assert merged_codes and not set(obs["individualID"].dropna()) & merged_codes
