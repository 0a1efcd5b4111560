"""Read and write secr's text input formats, so bigcats fits can be checked in secr and secr's examples fitted here.

Capture file (read.capthist): one detection per line, `session animal occasion trapID` (fmt "trapID") or
`session animal occasion x y` (fmt "XY"), then optional individual covariates. Detector file (read.traps): `id x y`,
then optionally usage — a string of 0/1 per occasion (binary.usage) or numbers — and covariates after '/'.
Lines starting with '#' are comments; fields are separated by blanks (or commas in .csv files).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.population.capthist import CaptureHistory, make_capthist
from bigcats.population.errors import PopulationError, listed
from bigcats.population.mask import Mask, mask_spacing

FORMATS = ("trapID", "XY")


def _rows(path: str | Path) -> list[tuple[int, list[str]]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PopulationError(f"{path}: cannot read: {exc.strerror}") from None
    rows = []
    comma = path.suffix.lower() == ".csv"
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = next(csv.reader(io.StringIO(line))) if comma else line.split()
        rows.append((no, [f.strip() for f in fields]))
    if not rows:
        raise PopulationError(f"{path}: no data lines")
    return rows


def read_traps(path: str | Path, binary_usage: bool = True) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Detector layout (trapID, x, y, covariates) and usage (K x S, or None) from a secr detector file."""
    traps, usage, covs = [], [], []
    for no, f in _rows(path):
        if len(f) < 3:
            raise PopulationError(f"{path}, line {no}: a detector line needs id, x and y, got {' '.join(f)!r}")
        try:
            x, y = float(f[1]), float(f[2])
        except ValueError:
            raise PopulationError(f"{path}, line {no}: x and y of detector {f[0]} must be numbers, got {f[1]!r}, {f[2]!r}") from None
        rest = f[3:]
        cov = []
        if "/" in rest:
            cut = rest.index("/")
            rest, cov = rest[:cut], rest[cut + 1:]
        elif rest and rest[-1].startswith("/"):
            cov = [rest[-1][1:]]
            rest = rest[:-1]
        if rest:
            if binary_usage and len(rest) == 1 and rest[0].isdigit() and set(rest[0]) - {"0", "1"}:
                raise PopulationError(
                    f"{path}, line {no}: usage {rest[0]!r} of detector {f[0]} is read as secr's binary usage, one 0/1 "
                    "digit per occasion; if it is effort per detector (e.g. camera-days), read it with "
                    "binary_usage=False (--usage-counts), as secr's read.traps(binary.usage = FALSE)")
            try:
                u = [float(c) for c in rest[0]] if binary_usage and len(rest) == 1 else [float(v) for v in rest]
            except ValueError:
                raise PopulationError(f"{path}, line {no}: usage of detector {f[0]} must be 0/1 digits or numbers, "
                                      f"got {' '.join(rest)!r}") from None
            usage.append(u)
        traps.append((f[0], x, y))
        covs.append(cov)
    frame = pd.DataFrame(traps, columns=["trapID", "x", "y"])
    if frame["trapID"].duplicated().any():
        raise PopulationError(f"{path}: duplicate detector id {frame['trapID'][frame['trapID'].duplicated()].iloc[0]}")
    ncov = max(len(c) for c in covs)
    for j in range(ncov):
        frame[f"cov{j + 1}"] = [c[j] if j < len(c) else None for c in covs]
    if usage:
        if len(usage) != len(traps) or len({len(u) for u in usage}) != 1:
            lengths = sorted({len(u) for u in usage})
            hint = (" — a usage field such as '344' is read as one 0/1 digit per occasion (secr's binary.usage = TRUE); "
                    "if it is effort per detector (camera-days), read it with binary_usage=False (--usage-counts)"
                    if binary_usage else "")
            raise PopulationError(f"{path}: usage must be given for every detector and for the same number of occasions "
                                  f"({len(usage)} of {len(traps)} detectors have usage, with {lengths} occasions){hint}")
        return frame, np.array(usage)
    return frame, None


def read_mask(path: str | Path, spacing: float | None = None, columns: list[str] | None = None) -> Mask:
    """secr's read.mask: x y (named columns, or the first two) plus covariates; spacing derived as secr does.

    A .csv file has a header row (rows with HABITAT other than 1 are dropped, as secr does); a text file has one
    when its first line is not two numbers (write.mask writes one after its '#' comments).
    """
    path = Path(path)
    rows = _rows(path)
    first = rows[0][1]
    numeric = all(_is_number(v) for v in first[:2])
    header = path.suffix.lower() == ".csv" or not numeric
    names = first if header else ["x", "y"] + [f"V{j + 3}" for j in range(len(first) - 2)]
    body = rows[1:] if header else rows
    width = len(names)
    bad = [no for no, f in body if len(f) != width]
    if bad:
        raise PopulationError(f"{path}, line {bad[0]}: expected {width} fields ({' '.join(names)})")
    if not body:
        raise PopulationError(f"{path}: no mask points")
    frame = pd.DataFrame([f for _, f in body], columns=names)
    if "HABITAT" in frame.columns and path.suffix.lower() == ".csv":
        frame = frame[pd.to_numeric(frame["HABITAT"], errors="coerce") == 1]
    ix = ["x", "y"] if {"x", "y"} <= set(frame.columns) else list(frame.columns[:2])
    xy = frame[ix].apply(pd.to_numeric, errors="coerce")
    if xy.isna().any().any():
        line = np.array([no for no, _ in body])[xy.isna().any(axis=1).to_numpy()][0] if len(body) == len(xy) else "?"
        raise PopulationError(f"{path}, line {line}: x and y of a mask point must be numbers")
    cov = frame.drop(columns=ix).reset_index(drop=True)
    if columns is not None:
        missing = [c for c in columns if c not in cov.columns]
        if missing:
            raise PopulationError(f"{path}: mask covariate {listed(missing)} not in the file (have: {', '.join(cov.columns) or 'none'})")
        cov = cov[columns]
    for c in cov.columns:
        num = pd.to_numeric(cov[c], errors="coerce")
        if num.notna().all():
            cov[c] = num
    pts = xy.to_numpy(float)
    if spacing is None:
        spacing = mask_spacing(pts)
    if not spacing > 0:
        raise PopulationError(f"{path}: mask spacing must be positive, got {spacing}")
    return Mask(pts, float(spacing), cov if len(cov.columns) else None)


def write_mask(path: str | Path, mask: Mask) -> Path:
    """Write a mask as secr's write.mask does: a header row x y and the covariates, one point a line."""
    frame = pd.DataFrame({"x": mask.xy[:, 0], "y": mask.xy[:, 1]})
    if mask.covariates is not None:
        frame = pd.concat([frame, mask.covariates.reset_index(drop=True)], axis=1)
    frame.to_csv(path, sep=" ", index=False, float_format="%.6f")
    return Path(path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_captures(path: str | Path, traps: pd.DataFrame, fmt: str | None = None,
                  covariate_names: list[str] | None = None) -> pd.DataFrame:
    """Capture records (session, animal, occasion, trapID, covariates) from a secr capture file, either layout."""
    rows = _rows(path)
    width = {len(f) for _, f in rows}
    if len(width) != 1:
        raise PopulationError(f"{path}: lines have different numbers of fields ({sorted(width)})")
    nf = width.pop()
    if nf < 4:
        raise PopulationError(f"{path}: a capture line needs session, animal, occasion and detector (or x y)")
    frame = pd.DataFrame([f for _, f in rows], columns=[f"f{i}" for i in range(nf)])
    lines = np.array([no for no, _ in rows])
    if fmt is None:
        # XY when fields 4 and 5 are numbers that are detector coordinates; otherwise the 4th field names a detector.
        fmt = "trapID"
        if nf >= 5:
            xy = frame[["f3", "f4"]].apply(pd.to_numeric, errors="coerce")
            if xy.notna().all().all():
                known = pd.MultiIndex.from_frame(traps[["x", "y"]].astype(float))
                if (known.get_indexer(pd.MultiIndex.from_frame(xy.astype(float))) >= 0).all():
                    fmt = "XY"
    if fmt not in FORMATS:
        raise PopulationError(f"capture file format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "XY":
        xy = frame[["f3", "f4"]].apply(pd.to_numeric, errors="coerce")
        bad = xy.isna().any(axis=1).to_numpy()
        if bad.any():
            raise PopulationError(f"{path}, line {lines[bad][0]}: x and y must be numbers")
        # Snap to the layout: coordinates written by other software carry rounding.
        from scipy.spatial import cKDTree

        dist, idx = cKDTree(traps[["x", "y"]].to_numpy(float)).query(xy.to_numpy(float))
        far = dist > 1e-6 * max(1.0, np.abs(traps[["x", "y"]].to_numpy(float)).max())
        if far.any():
            raise PopulationError(f"{path}, line {lines[far][0]}: no detector at x={xy.iloc[np.flatnonzero(far)[0], 0]}, "
                                  f"y={xy.iloc[np.flatnonzero(far)[0], 1]}")
        trap = traps["trapID"].astype(str).to_numpy()[idx]
        first_cov = 5
    else:
        trap = frame["f3"].to_numpy()
        first_cov = 4
    occ = pd.to_numeric(frame["f2"], errors="coerce")
    if occ.isna().any():
        raise PopulationError(f"{path}, line {lines[occ.isna().to_numpy()][0]}: occasion must be a whole number")
    out = pd.DataFrame({"session": frame["f0"], "animal": frame["f1"], "occasion": occ.astype(int), "trapID": trap})
    ncov = nf - first_cov
    names = covariate_names or [f"cov{j + 1}" for j in range(ncov)]
    for j in range(ncov):
        out[names[j]] = frame[f"f{first_cov + j}"].to_numpy()
    out.attrs["fmt"] = fmt
    return out


def read_capthist(captures: str | Path, traps: str | Path, detector: str = "multi", fmt: str | None = None,
                  noccasions: int | None = None, binary_usage: bool = True,
                  covariate_names: list[str] | None = None) -> dict[str, CaptureHistory]:
    """secr's read.capthist: one CaptureHistory per session, from a capture file and a detector file."""
    from bigcats.population import polygon

    if polygon.is_polygon_detector(detector):
        if fmt not in (None, "XY"):
            raise PopulationError(f"{captures}: {detector} detections are read with fmt XY (x y per detection), as secr "
                                  f"requires, not fmt {fmt}")
        return polygon.read_polygon_capthist(captures, traps, detector, noccasions, covariate_names)
    layout, usage = read_traps(traps, binary_usage)
    caps = read_captures(captures, layout, fmt, covariate_names)
    covcols = [c for c in caps.columns if c not in ("session", "animal", "occasion", "trapID")]
    out = {}
    for session, part in caps.groupby("session", sort=False):
        cov = part.drop_duplicates("animal")[["animal", *covcols]] if covcols else None
        if cov is not None:
            for c in covcols:
                num = pd.to_numeric(cov[c], errors="coerce")
                if num.notna().all():
                    cov[c] = num
        out[str(session)] = make_capthist(part, layout, usage, noccasions, detector, cov, str(session), str(captures))
    return out


def write_traps(path: str | Path, traps: pd.DataFrame, usage: np.ndarray | None = None) -> Path:
    """Write a secr detector file (id x y, with usage as numbers when given)."""
    lines = []
    for i, (tid, x, y) in enumerate(traps[["trapID", "x", "y"]].itertuples(index=False)):
        u = ""
        if usage is not None:
            row = usage[i]
            u = " " + (" ".join(f"{v:g}" for v in row))
        lines.append(f"{tid} {x:.3f} {y:.3f}{u}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def write_capthist(path: str | Path, ch: CaptureHistory | dict[str, CaptureHistory], fmt: str = "trapID") -> Path:
    """Write a secr capture file (session animal occasion trapID, or x y), one line per detection."""
    sessions = ch if isinstance(ch, dict) else {ch.session: ch}
    parts = []
    for s, h in sessions.items():
        rep = np.repeat(np.arange(len(h.animal)), h.count.astype(int))
        frame = pd.DataFrame({"session": s, "animal": h.animals[h.animal[rep]], "occasion": h.occasion[rep] + 1})
        if fmt == "XY":
            frame["x"] = h.traps["x"].to_numpy()[h.trap[rep]]
            frame["y"] = h.traps["y"].to_numpy()[h.trap[rep]]
        else:
            frame["trapID"] = h.traps["trapID"].to_numpy()[h.trap[rep]]
        for c in h.covariates.columns:
            frame[c] = h.covariates[c].to_numpy()[h.animal[rep]]
        parts.append(frame)
    pd.concat(parts).to_csv(path, sep=" ", header=False, index=False)
    return Path(path)


def _token(text: object) -> str:
    """A field secr's readers take as one token: blanks and '#' would split or cut the line."""
    out = "".join("_" if ch.isspace() or ch in "#/,\"'" else ch for ch in str(text))
    return out or "_"


def write_secr_script(path: str | Path, fit) -> list[Path]:
    """Write an R script and its input files (captures, detectors with usage, masks) that refit `fit` in secr.

    The script reads the files with secr's own readers (read.capthist, read.mask) and calls secr.fit with the
    same detector, detection function, likelihood, distribution, model and fastproximity setting, then prints
    -logLik, AIC, the real estimates and (conditional likelihood) derived density, to compare with bigcats.
    """
    path = Path(path)
    stem = path.with_suffix("")
    sessions = fit.sessions
    multi = len(sessions) > 1
    written = []
    capt = stem.parent / f"{stem.name}_capt.txt"
    lines = []
    covnames = list(sessions[0].prep.ch.covariates.columns)
    for ses in sessions:
        h = ses.prep.ch
        rep = np.repeat(np.arange(len(h.animal)), h.count.astype(int))
        for i in rep:
            a = h.animal[i]
            cov = [_token(h.covariates[c].iloc[a]) for c in covnames]
            lines.append(" ".join([_token(ses.name), _token(h.animals[a]), str(int(h.occasion[i]) + 1),
                                   _token(h.traps["trapID"].iloc[h.trap[i]]), *cov]))
    capt.write_text("# session animal occasion detector" + "".join(f" {c}" for c in covnames) + "\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    written.append(capt)
    trapfiles, maskfiles = [], []
    poly = sessions[0].prep.ch.geometry is not None
    if poly:
        # polygon/transect detectors: secr's polyID x y file and one x y per detection (fmt XY); secr reads no usage
        # for them, so only unit usage can be written
        from bigcats.population.polygon import write_polygon_files

        if any(not np.all(s.prep.ch.usage == 1) for s in sessions) or covnames:
            raise PopulationError("--secr-script: secr reads no usage or covariates for polygon/transect detectors from "
                                  "files; this fit has some — refit in R from objects instead")
        chs = {ses.name: ses.prep.ch for ses in sessions}
        capt.unlink()
        written.remove(capt)
        trap_path, capt = write_polygon_files(stem.parent / f"{stem.name}_", chs)
        written += [capt, trap_path]
        trapfiles = [trap_path] * len(sessions)
    for j, ses in enumerate(sessions):
        h = ses.prep.ch
        if poly:
            mf = stem.parent / f"{stem.name}_mask{'_' + str(j + 1) if multi else ''}.txt"
            write_mask(mf, ses.prep.mask)
            maskfiles.append(mf)
            continue
        tf = stem.parent / f"{stem.name}_traps{'_' + str(j + 1) if multi else ''}.txt"
        frame = h.traps.assign(trapID=h.traps["trapID"].map(_token))
        write_traps(tf, frame, h.usage)
        trapfiles.append(tf)
        mf = stem.parent / f"{stem.name}_mask{'_' + str(j + 1) if multi else ''}.txt"
        write_mask(mf, ses.prep.mask)
        maskfiles.append(mf)
    written += ([] if poly else trapfiles) + maskfiles
    model = fit._model
    p0 = model.p0_name
    by = "h2" if model.mixture else None
    if model.known:
        by = next(c for c in covnames if sorted({str(v) for v in sessions[0].prep.ch.covariates[c].astype(str)})
                  == model.class_names) if covnames else None
    formula = [f"{p0} ~ {by if model.p0_by_class else 1}", f"sigma ~ {by if model.sigma_by_class else 1}"]
    if model.full:
        dterm = fit.model_formula.split()[0].removeprefix("D")
        formula.insert(0, f"D {dterm.replace('~', '~ ')}")
    r_fn = {"HN": "HN", "HHN": "HHN", "EX": "EX"}[fit.detectfn]

    def q(p: Path) -> str:
        return '"' + p.name.replace("\\", "/").replace('"', "") + '"'

    tvec = q(trapfiles[0]) if not multi else "c(" + ", ".join(q(t) for t in trapfiles) + ")"
    masks = (f"read.mask({q(maskfiles[0])}, spacing = {sessions[0].prep.mask.spacing!r}, header = TRUE)" if not multi else
             "list(" + ", ".join(f"read.mask({q(m)}, spacing = {s.prep.mask.spacing!r}, header = TRUE)"
                                 for m, s in zip(maskfiles, sessions)) + ")")
    # secr's verify() knows a list of masks only with the class make.mask gives one ("mask", "list"), by session.
    multimask = '\nclass(mask) <- c("mask", "list"); names(mask) <- session(ch)' if multi else ""
    script = f"""# secr refit of a bigcats SCR fit ({fit.model_formula}; {fit.detector}, {fit.detectfn}).
# Run from this folder: Rscript {path.name}
# bigcats: -LL {-fit.loglik:.6f}, AIC {fit.aic:.4f}, npar {fit.npar}
library(secr)
ch <- read.capthist({q(capt)}, {tvec}, detector = "{fit.detector}", fmt = "{'XY' if poly else 'trapID'}",
                    binary.usage = {'TRUE' if poly else 'FALSE'}{', covnames = c(' + ', '.join(repr(c).replace("'", '"') for c in covnames) + ')' if covnames else ''},
                    noccasions = {"c(" + ", ".join(str(s.prep.ch.noccasions) for s in sessions) + ")" if multi else sessions[0].prep.ch.noccasions})
mask <- {masks}{multimask}
fit <- secr.fit(ch, mask = mask, detectfn = "{r_fn}", CL = {"FALSE" if model.full else "TRUE"},
                model = list({", ".join(formula)}),
                details = list(fastproximity = {"TRUE" if fit.fastproximity else "FALSE"}, distribution = "{fit.distribution}"),
                trace = FALSE)
cat("-LL", format(-logLik(fit), digits = 12), "AIC", format(AIC(fit)$AIC, digits = 12), "\\n")
print(coef(fit), digits = 10)
print(predict(fit), digits = 10)
{"print(derived(fit), digits = 10)" if not model.full else ""}
"""
    path.write_text(script, encoding="utf-8")
    return [path, *written]
