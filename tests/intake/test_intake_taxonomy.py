"""One species list in four languages, partner label maps, and unmatched labels listed with suggestions."""

import pandas as pd
import pytest

from bigcats.taxonomy import (
    TaxonomyError,
    observation_type,
    read_label_map,
    resolve_labels,
    sensitive_names,
    species_table,
)


def test_species_table_has_the_three_cats_sensitive_and_four_scripts():
    sp = species_table()
    assert sensitive_names() >= {"Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia"}
    assert not sp.loc[sp["group"] != "bigcat", "sensitive"].any()
    assert sp["scientificName"].is_unique
    real = sp[sp["group"].isin(["bigcat", "prey", "carnivore", "human", "domestic"])]
    assert real["ru"].str.contains(r"[А-Яа-яЁё]").all()
    assert real["zh"].str.contains(r"[\u4e00-\u9fff]").all()
    assert real["mn"].str.contains(r"[А-Яа-яӨөҮү]").all()
    assert {"prey", "carnivore", "domestic", "human", "vehicle"} <= set(sp["group"])


@pytest.mark.parametrize("label,name", [
    ("Тигр амурский", "Panthera tigris altaica"), ("амурский  ТИГР", "Panthera tigris altaica"),
    ("东北虎", "Panthera tigris altaica"), ("東北虎", "Panthera tigris altaica"),
    ("tiger", "Panthera tigris altaica"),
    ("ирвэс", "Panthera uncia"), ("Снежный барс", "Panthera uncia"), ("雪豹", "Panthera uncia"),
    ("Дальневосточный леопард", "Panthera pardus orientalis"), ("PBE", "Prionailurus bengalensis"),
    ("Изюбрь", "Cervus canadensis xanthopygus"), ("Хандгай", "Alces alces"), ("Ёж", None),
])
def test_labels_in_any_language_resolve(label, name):
    res = resolve_labels([label])
    assert res.as_dict().get(label) == name
    assert (len(res.unmatched) == 1) == (name is None)


def test_unmatched_labels_come_back_with_close_suggestions_never_dropped():
    res = resolve_labels(["Leoprd Cat", "tigr", "qqqq", "tiger"])
    assert list(res.unmatched["label"]) == ["Leoprd Cat", "tigr", "qqqq"]
    sugg = dict(zip(res.unmatched["label"], res.unmatched["suggestions"]))
    assert any("Prionailurus bengalensis" in s for s in sugg["Leoprd Cat"])
    assert any("Panthera tigris altaica" in s for s in sugg["tigr"])
    assert [p.code for p in res.problems(file="x.csv")] == ["unknown-label"] * 3


def test_user_map_wins_and_is_partner_scoped(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text("partner,label,scientificName\nLazovsky,Т-1,Panthera tigris altaica\n"
                 "*,leopard,Panthera pardus\n", encoding="utf-8")
    user = read_label_map(f)
    assert resolve_labels(["Т-1"], partner="Lazovsky", user_map=user).as_dict() == {"Т-1": "Panthera tigris altaica"}
    assert len(resolve_labels(["Т-1"], partner="Hunchun", user_map=user).unmatched) == 1
    assert resolve_labels(["leopard"], user_map=user).as_dict()["leopard"] == "Panthera pardus"
    bad = tmp_path / "bad.csv"
    bad.write_text("label,scientificName\ntiger,Panthera tigris altaica\nbear,Ursus arctoss\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="row 3"):
        read_label_map(bad)


def test_pseudo_taxa_become_observation_types():
    t = observation_type(pd.Series(["Homo sapiens", "vehicle", "blank", "unknown", "Sus scrofa", None]))
    assert list(t["observationType"]) == ["human", "vehicle", "blank", "unknown", "animal", "unclassified"]
    assert t["scientificName"].isna().tolist() == [False, True, True, True, False, True]
