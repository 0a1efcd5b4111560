"""Legacy Camtrap DP (0.1.x to 0.6, 1.0-rc.1): recognised by the declared profile and upgraded to 1.0 on reading.

Many published datasets (Agouti exports, GBIF-registered packages before 2023) still declare Camtrap DP 0.1.6.
bigcats reads them by upgrading every chunk of every table to 1.0 as it streams in, so the same checks, the same
write path and the same natural keys apply; a problem is reported under the column name the user's file has,
with the 1.0 name beside it. The version is taken from `profile` (`.../camtrap-dp/<version>/...`), else from the
resources' `schema` URLs, as R camtrapdp's `version()` does.

The mapping (from the official table schemas at tags 0.1.6 and 1.0-rc.1 of tdwg/camtrap-dp, the changelog of 1.0,
and the inverse conversion in R camtraptor's `convert_*_to_0.1.6()`, which this undoes):

deployments (0.1.6 -> 1.0)
  start -> deploymentStart; end -> deploymentEnd; cameraInterval -> cameraDelay; tags -> deploymentTags;
  comments -> deploymentComments; _id dropped;
  session, array, deploymentGroup (0.5) -> deploymentGroups (joined with " | ", as camtraptor splits them);
  baitUse (none|scent|food|visual|acoustic|other) -> baitUse boolean (none -> false, any other -> true), the kind
  kept as a deployment tag `bait:<kind>` (camtraptor reads it back from that tag);
  featureType "road paved" -> roadPaved, ... (words to camelCase); "none" -> empty; "other" -> empty and a tag
  `featureType:other`.
media (0.1.6 -> 1.0)
  captureMethod "motion detection" -> activityDetection, "time lapse" -> timeLapse; favourite -> favorite;
  comments -> mediaComments; _id dropped; sequenceID is not a media column in 1.0 (kept as an extra column);
  filePublic (new and required in 1.0) -> true when filePath is an http(s) URL, else false.
observations (0.1.6 -> 1.0)
  sequenceID -> eventID; timestamp -> eventStart and eventEnd (a 0.1.6 observation has one time);
  observationLevel -> "media" when mediaID is given, else "event" (0.1.6 observations were of a sequence);
  cameraSetup (boolean) -> cameraSetupType ("setup" when true, else empty); behaviour -> behavior;
  classificationConfidence -> classificationProbability; comments -> observationComments;
  speed, radius, angle (Agouti's extra columns, camtraptor's "X22..X24") -> individualSpeed,
  individualPositionRadius, individualPositionAngle; lifeStage "offspring" -> juvenile, "unknown" -> empty;
  sex "unknown" -> empty; taxonID, countNew (no 1.0 term) kept as extra columns; _id dropped.
media and observations (1.0-rc.1 -> 1.0)
  captureMethod motionDetection -> activityDetection; observations' taxonID (deleted in 1.0) kept as extra.
package metadata
  profile and resource schemas -> the 1.0 URLs; project.classificationLevel sequence|media ->
  observationLevel [event]|[media]; project.animalTypes -> individualAnimals ("marked" in it);
  project.samplingDesign "systematic random" -> systematicRandom, ...; project.captureMethod as media's;
  project.sequenceInterval kept as bigcats:sequenceInterval; contributors' roles author -> contributor,
  maintainer -> contact, wrangler -> contributor; organizations and rightsHolder -> contributors with role
  rightsHolder when none has it; platform -> sources; taxonomic.taxonIDReference dropped (1.0) and
  two-letter vernacular language codes -> ISO 639-2 (en -> eng, ...); `bigcats:upgradedFrom` records the
  declared version.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd

CURRENT = "1.0"
LEGACY_VERSIONS = ("0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5", "0.1.6", "0.1.7", "0.2", "0.3", "0.4", "0.5", "0.6",
                   "1.0-rc.1")
CURRENT_VERSIONS = ("1.0", "1.0.1", "1.0.2")
_VERSION = re.compile(r"camtrap-dp/([0-9A-Za-z.\-]+)/")

_RENAME_0X = {
    "deployments": {"start": "deploymentStart", "end": "deploymentEnd", "cameraInterval": "cameraDelay",
                    "tags": "deploymentTags", "comments": "deploymentComments"},
    "media": {"favourite": "favorite", "comments": "mediaComments"},
    "observations": {"sequenceID": "eventID", "timestamp": "eventStart", "behaviour": "behavior",
                     "classificationConfidence": "classificationProbability", "comments": "observationComments",
                     "speed": "individualSpeed", "radius": "individualPositionRadius",
                     "angle": "individualPositionAngle", "cameraSetup": "cameraSetupType"},
}
_CAPTURE = {"motion detection": "activityDetection", "time lapse": "timeLapse", "motionDetection": "activityDetection"}
_SAMPLING = {"simple random": "simpleRandom", "systematic random": "systematicRandom",
             "clustered random": "clusteredRandom"}
_ROLES = {"author": "contributor", "maintainer": "contact", "wrangler": "contributor"}
_LANG = {"en": "eng", "nl": "nld", "fr": "fra", "de": "deu", "es": "spa", "pt": "por", "it": "ita", "ru": "rus",
         "zh": "zho", "mn": "mon", "pl": "pol", "da": "dan", "sv": "swe", "no": "nor", "fi": "fin", "cs": "ces",
         "ja": "jpn", "ko": "kor"}


def declared_version(descriptor: dict) -> str | None:
    """The Camtrap DP version a descriptor declares (profile URL, else its resources' schema URLs), or None."""
    candidates = [descriptor.get("profile")]
    resources = descriptor.get("resources")
    if isinstance(resources, list):
        candidates += [r.get("schema") for r in resources if isinstance(r, dict)]
    for text in candidates:
        if isinstance(text, str) and (m := _VERSION.search(text)):
            return m.group(1)
    return None


def is_legacy(version: str | None) -> bool:
    """Whether a declared version is one bigcats upgrades (pre-1.0)."""
    return version in LEGACY_VERSIONS


def field_names(version: str, table: str) -> dict[str, str]:
    """1.0 field name -> the legacy column it comes from, for naming the user's own column in problems."""
    if version == "1.0-rc.1":
        return {}
    names = {new: old for old, new in _RENAME_0X.get(table, {}).items()}
    if table == "observations":
        names["eventEnd"] = "timestamp"
    return names


class Upgrade:
    """Upgrades one legacy package's chunks and descriptor to Camtrap DP 1.0."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.pre_rc = version != "1.0-rc.1"

    def table(self, name: str, chunk: pd.DataFrame) -> pd.DataFrame:
        """One chunk of a core table (all cells text, "" for empty) as Camtrap DP 1.0 columns and values."""
        df = chunk.copy()
        if name == "media" and "captureMethod" in df:
            df["captureMethod"] = df["captureMethod"].replace(_CAPTURE)
        if not self.pre_rc:
            return df
        if name == "deployments":
            return self._deployments(df)
        if name == "media":
            return self._media(df)
        if name == "observations":
            return self._observations(df)
        return df

    @staticmethod
    def _rename(df: pd.DataFrame, table: str) -> pd.DataFrame:
        mapping = {old: new for old, new in _RENAME_0X[table].items() if old in df and new not in df}
        return df.drop(columns=[c for c in ("_id",) if c in df]).rename(columns=mapping)

    def _deployments(self, df: pd.DataFrame) -> pd.DataFrame:
        df = self._rename(df, "deployments")
        tags = df["deploymentTags"] if "deploymentTags" in df else pd.Series("", index=df.index)
        extra_tags = pd.Series("", index=df.index)
        if "baitUse" in df:
            bait = df["baitUse"].astype(str).str.strip()
            kind = bait.where(~bait.isin(["", "none", "true", "false", "TRUE", "FALSE"]), "")
            extra_tags = _join(extra_tags, ("bait:" + kind).where(kind != "", ""))
            df["baitUse"] = np.where(bait == "", "", np.where(bait.isin(["none", "false", "FALSE"]), "false", "true"))
        if "featureType" in df:
            ft = df["featureType"].astype(str).str.strip()
            extra_tags = _join(extra_tags, ("featureType:" + ft).where(ft == "other", ""))
            df["featureType"] = ft.where(~ft.isin(["none", "other"]), "").map(_camel)
        groups = [df.pop(c).astype(str) for c in ("session", "array", "deploymentGroup") if c in df]
        if groups:
            joined = groups[0]
            for g in groups[1:]:
                joined = _join(joined, g, " | ")
            if "deploymentGroups" in df:
                joined = _join(df["deploymentGroups"].astype(str), joined, " | ")
            df["deploymentGroups"] = joined
        if extra_tags.ne("").any():
            df["deploymentTags"] = _join(tags.astype(str), extra_tags)
        return df

    def _media(self, df: pd.DataFrame) -> pd.DataFrame:
        df = self._rename(df, "media")
        if "filePublic" not in df:
            path = df["filePath"].astype(str) if "filePath" in df else pd.Series("", index=df.index)
            df["filePublic"] = np.where(path.str.match(r"^https?://"), "true", "false")
        return df

    def _observations(self, df: pd.DataFrame) -> pd.DataFrame:
        df = self._rename(df, "observations")
        if "eventStart" in df and "eventEnd" not in df:
            df["eventEnd"] = df["eventStart"]
        if "observationLevel" not in df:
            media = df["mediaID"].astype(str) if "mediaID" in df else pd.Series("", index=df.index)
            df["observationLevel"] = np.where(media != "", "media", "event")
        if "cameraSetupType" in df:
            setup = df["cameraSetupType"].astype(str)
            df["cameraSetupType"] = np.where(setup.isin(["true", "TRUE", "True", "1"]), "setup",
                                             np.where(setup.isin(["false", "FALSE", "False", "0", ""]), "", setup))
        if "lifeStage" in df:
            df["lifeStage"] = df["lifeStage"].replace({"offspring": "juvenile", "unknown": ""})
        if "sex" in df:
            df["sex"] = df["sex"].replace({"unknown": ""})
        return df

    def descriptor(self, descriptor: dict) -> dict:
        """The package metadata as Camtrap DP 1.0 (the declared version kept as `bigcats:upgradedFrom`)."""
        d = copy.deepcopy(descriptor)
        base = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{CURRENT}/"
        d["profile"] = base + "camtrap-dp-profile.json"
        d["bigcats:upgradedFrom"] = self.version
        for res in d.get("resources", []):
            if isinstance(res, dict) and res.get("name") in ("deployments", "media", "observations"):
                res["schema"] = base + f"{res['name']}-table-schema.json"
        project = d.get("project") if isinstance(d.get("project"), dict) else None
        if project is not None:
            if isinstance(project.get("captureMethod"), list):
                project["captureMethod"] = [_CAPTURE.get(m, m) for m in project["captureMethod"]]
            if isinstance(project.get("samplingDesign"), str):
                project["samplingDesign"] = _SAMPLING.get(project["samplingDesign"], project["samplingDesign"])
            level = project.pop("classificationLevel", None)
            if "observationLevel" not in project and level in ("sequence", "media"):
                project["observationLevel"] = ["event" if level == "sequence" else "media"]
            animal_types = project.pop("animalTypes", None)
            if "individualAnimals" not in project and isinstance(animal_types, list):
                project["individualAnimals"] = "marked" in animal_types
            if "sequenceInterval" in project:
                project["bigcats:sequenceInterval"] = project.pop("sequenceInterval")
        contributors = [c for c in d.get("contributors", []) if isinstance(c, dict)] \
            if isinstance(d.get("contributors"), list) else []
        for c in contributors:
            if c.get("role") in _ROLES:
                c["role"] = _ROLES[c["role"]]
        if not any(c.get("role") == "rightsHolder" for c in contributors):
            holders = []
            if isinstance(d.get("rightsHolder"), str):
                holders.append({"title": d["rightsHolder"], "role": "rightsHolder"})
            for org in d.get("organizations", []) if isinstance(d.get("organizations"), list) else []:
                if isinstance(org, dict) and org.get("title"):
                    holders.append({k: v for k, v in {"title": org["title"], "path": org.get("path"),
                                                      "role": "rightsHolder"}.items() if v})
            contributors += holders[:1]
        if contributors:
            d["contributors"] = contributors
        d.pop("rightsHolder", None)
        d.pop("organizations", None)
        platform = d.pop("platform", None)
        if isinstance(platform, dict) and platform.get("title"):
            sources = d.get("sources") if isinstance(d.get("sources"), list) else []
            if not any(isinstance(s, dict) and s.get("title") == platform["title"] for s in sources):
                sources.append({k: v for k, v in platform.items() if k in ("title", "path", "email", "version")})
            d["sources"] = sources
        for taxon in d.get("taxonomic", []) if isinstance(d.get("taxonomic"), list) else []:
            if not isinstance(taxon, dict):
                continue
            taxon.pop("taxonIDReference", None)
            names = taxon.get("vernacularNames")
            if isinstance(names, dict):
                taxon["vernacularNames"] = {_LANG.get(k, k): v for k, v in names.items()}
        return d


def _camel(text: str) -> str:
    words = str(text).split()
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]) if words else ""


def _join(a: pd.Series, b: pd.Series, sep: str = " | ") -> pd.Series:
    a = a.fillna("").astype(str)
    b = b.fillna("").astype(str)
    both = (a != "") & (b != "")
    return pd.Series(np.where(both, a + sep + b, np.where(a != "", a, b)), index=a.index)
