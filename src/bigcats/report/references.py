"""The published methods a status report relies on, cited on its methods page (kept in their original form)."""

from __future__ import annotations

# Key -> full reference. Titles stay in the language of publication: a citation is not translated.
REFERENCES: dict[str, str] = {
    "camtrapr": ("Niedballa J., Sollmann R., Courtiol A., Wilting A. (2016). camtrapR: an R package for efficient "
                 "camera trap data management. Methods in Ecology and Evolution 7(12): 1457–1462."),
    "overlap": ("Ridout M.S., Linkie M. (2009). Estimating overlap of daily activity patterns from camera trap data. "
                "Journal of Agricultural, Biological, and Environmental Statistics 14(3): 322–337."),
    "rowcliffe": ("Rowcliffe J.M., Kays R., Kranstauber B., Carbone C., Jansen P.A. (2014). Quantifying levels of "
                  "animal activity using camera trap data. Methods in Ecology and Evolution 5(11): 1170–1179."),
    "mackenzie": ("MacKenzie D.I., Nichols J.D., Lachman G.B., Droege S., Royle J.A., Langtimm C.A. (2002). "
                  "Estimating site occupancy rates when detection probabilities are less than one. "
                  "Ecology 83(8): 2248–2255."),
    "secr": ("Efford M.G. secr: Spatially explicit capture–recapture models. R package, "
             "https://CRAN.R-project.org/package=secr; Borchers D.L., Efford M.G. (2008). Spatially explicit "
             "maximum likelihood methods for capture–recapture studies. Biometrics 64(2): 377–385."),
    "fmp": ("Формозов А.Н. (1932). Формула для количественного учёта млекопитающих по следам. Зоологический "
            "журнал 11(2): 66–69; Stephens P.A., Zaumyslova O.Yu., Miquelle D.G., Myslenkov A.I., Hayward G.D. "
            "(2006). Estimating population density from indirect sign: track counts and the "
            "Formozov–Malyshev–Pereleshin formula. Animal Conservation 9(3): 339–348."),
    "vitkalova": ("Vitkalova A.V., Feng L., Rybin A.N., Gerber B.D., Miquelle D.G., Wang T., Yang H., Shevtsova E.I., "
                  "Aramilev V.V., Ge J. (2018). Transboundary cooperation improves endangered species monitoring and "
                  "conservation actions: a case study of the global population of Amur leopards. "
                  "Conservation Letters 11(5): e12574."),
}


def numbered() -> list[tuple[int, str, str]]:
    """The references as (number, key, text), in citation order."""
    return [(i, key, text) for i, (key, text) in enumerate(REFERENCES.items(), start=1)]
