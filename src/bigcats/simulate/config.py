"""Settings of a simulated survey: geography, schedule, partners and species, with defaults like the real one."""

from __future__ import annotations

from dataclasses import dataclass

from bigcats.simulate.errors import SimulationError
from bigcats.simulate.rhythm import Rhythm


@dataclass(frozen=True)
class CatSpecies:
    """A big cat simulated by spatial capture-recapture: N activity centres, half-normal detection."""

    scientific_name: str
    key: str  # short name used in truth tables and code formats ("tiger", "leopard")
    n_individuals: int
    sigma_m: float  # half-normal scale of movement around the activity centre, metres
    g0: float  # expected detection events per day at a camera on the activity centre
    rhythm: Rhythm
    p_identifiable: float = 0.5  # share of events whose photos show the flank well enough to identify
    p_male: float = 0.5
    buffer_sigmas: float = 4.0  # state-space = station hull buffered by this many sigma


@dataclass(frozen=True)
class OtherSpecies:
    """A species (or humans, vehicles, blanks) with per-station occupancy and a Poisson event rate."""

    scientific_name: str | None  # None for vehicles and blanks
    observation_type: str  # 'animal', 'human', 'vehicle' or 'blank'
    psi: float  # probability a station is used at all
    rate_per_day: float  # mean events per day of operation at a used station
    rhythm: Rhythm
    mean_group: float = 1.0
    psi_by_country: tuple[tuple[str, float], ...] = ()  # overrides psi where a country differs
    active_doy: tuple[int, int] | None = None  # day-of-year window outside hibernation (inclusive)
    rate_sdlog: float = 0.5  # station-to-station spread of the rate (log scale)

    def psi_for(self, country: str) -> float:
        """Occupancy probability of this species in a country."""
        return dict(self.psi_by_country).get(country, self.psi)


@dataclass(frozen=True)
class Partner:
    """One partner's conventions: country, clock, station codes, individual codes, cameras."""

    code: str
    country: str
    utc_offset_min: int
    protected_area: str
    station_prefix: str
    station_digits: int
    # Python format strings with {n} (number) and {sex} (M/F) per cat species key.
    individual_formats: tuple[tuple[str, str], ...]
    camera_make: str
    camera_model: str

    def individual_format(self, key: str) -> str:
        """The code pattern this partner uses for a species."""
        formats = dict(self.individual_formats)
        if key not in formats:
            raise SimulationError(f"partner {self.code} has no individual code format for species '{key}'")
        return formats[key]


TIGER_RHYTHM = Rhythm(means_h=(5.5, 19.0, 1.0), kappas=(3.0, 3.0, 1.0), weights=(0.35, 0.35, 0.3))
LEOPARD_RHYTHM = Rhythm(means_h=(21.5, 4.5), kappas=(2.0, 3.0), weights=(0.6, 0.4))

DEFAULT_CATS: tuple[CatSpecies, ...] = (
    CatSpecies("Panthera tigris altaica", "tiger", 30, 6000.0, 0.03, TIGER_RHYTHM),
    CatSpecies("Panthera pardus orientalis", "leopard", 50, 3000.0, 0.05, LEOPARD_RHYTHM),
)

CREPUSCULAR = Rhythm(means_h=(5.5, 18.5), kappas=(4.0, 4.0), weights=(0.5, 0.5))
DEFAULT_OTHERS: tuple[OtherSpecies, ...] = (
    OtherSpecies("Cervus nippon", "animal", 0.8, 0.12, CREPUSCULAR, mean_group=2.0),
    OtherSpecies("Sus scrofa", "animal", 0.7, 0.08, Rhythm((0.5, 14.0), (1.5, 2.0), (0.7, 0.3)), mean_group=3.5),
    OtherSpecies("Capreolus pygargus", "animal", 0.75, 0.1, Rhythm((6.0, 19.0), (3.0, 3.0), (0.5, 0.5)),
                 mean_group=1.5),
    OtherSpecies("Cervus canadensis xanthopygus", "animal", 0.35, 0.04, Rhythm((5.0, 20.0), (2.5, 2.5), (0.5, 0.5)),
                 mean_group=1.8),
    OtherSpecies("Meles leucurus", "animal", 0.45, 0.05, Rhythm((0.0,), (3.0,), (1.0,)), active_doy=(90, 310)),
    OtherSpecies("Nyctereutes procyonoides", "animal", 0.5, 0.05, Rhythm((23.0,), (2.0,), (1.0,)),
                 active_doy=(70, 330)),
    OtherSpecies("Ursus thibetanus", "animal", 0.4, 0.03, Rhythm((12.0,), (1.5,), (1.0,)), active_doy=(100, 320)),
    OtherSpecies("Bos taurus", "animal", 0.02, 0.1, Rhythm((10.0, 15.0), (4.0, 4.0), (0.5, 0.5)), mean_group=4.0,
                 psi_by_country=(("CHN", 0.4),)),
    OtherSpecies("Homo sapiens", "human", 0.5, 0.05, Rhythm((11.0, 15.0), (4.0, 4.0), (0.5, 0.5)), mean_group=1.5,
                 psi_by_country=(("CHN", 0.7),)),
    OtherSpecies(None, "vehicle", 0.2, 0.04, Rhythm((10.0, 16.0), (5.0, 5.0), (0.5, 0.5)),
                 psi_by_country=(("CHN", 0.35),)),
    # Sun-warmed vegetation and wind trigger cameras by day: about one event in ten is empty.
    OtherSpecies(None, "blank", 1.0, 0.055, Rhythm((13.0,), (1.5,), (1.0,)), rate_sdlog=0.8),
)

DEFAULT_PARTNERS: tuple[Partner, ...] = (
    Partner("LLNP", "RUS", 600, "Land of the Leopard National Park", "LL-", 3,
            (("tiger", "T-{n}{sex}"), ("leopard", "Leo-{n:03d}")), "Reconyx", "HF2X Hyperfire 2"),
    Partner("NCTLNP", "CHN", 480, "Northeast China Tiger and Leopard National Park", "HC-", 4,
            (("tiger", "CN-AT-{n:02d}"), ("leopard", "CN-AL-{n:02d}")), "Ltl Acorn", "Ltl-6511"),
)


@dataclass(frozen=True)
class SurveyConfig:
    """Everything that shapes a simulated survey; defaults give ~150 stations on the China-Russia border."""

    bbox: tuple[float, float, float, float] = (130.3, 42.5, 131.7, 43.6)  # lon min, lat min, lon max, lat max
    centre: tuple[float, float] = (130.95, 42.9)  # the stations nearest this border point are kept
    n_stations: int = 150
    spacing_km: float = 3.0
    jitter_km: float = 0.4
    crs: str = "EPSG:32652"  # UTM 52N: metres for distances
    year: int = 2024
    setup_window_days: int = 14  # set-up staggered over the first two weeks, retrieval over the last two
    failure_fraction: float = 0.10
    card_swap_fraction: float = 0.05
    unknown_fraction: float = 0.02  # animal events nobody could name (observationType 'unknown')
    machine_fraction: float = 0.7  # non-cat events classified by the AI model rather than a person
    max_photos: int = 5
    land_only_habitat: bool = True  # clip the state-space to land (cats do not live in the sea)
    cats: tuple[CatSpecies, ...] = DEFAULT_CATS
    others: tuple[OtherSpecies, ...] = DEFAULT_OTHERS
    partners: tuple[Partner, ...] = DEFAULT_PARTNERS
    countries_path: str | None = None  # Natural Earth outlines; None = the copy found by default_countries_path()

    def __post_init__(self) -> None:
        lon0, lat0, lon1, lat1 = self.bbox
        if not (lon0 < lon1 and lat0 < lat1):
            raise SimulationError(f"bbox must be (lon min, lat min, lon max, lat max), got {self.bbox}")
        if self.n_stations < 2:
            raise SimulationError(f"n_stations must be at least 2, got {self.n_stations}")
        if self.spacing_km <= 0 or self.jitter_km < 0:
            raise SimulationError(
                f"spacing_km must be > 0 and jitter_km >= 0 (got {self.spacing_km}, {self.jitter_km})")
        for name, p in (("failure_fraction", self.failure_fraction), ("card_swap_fraction", self.card_swap_fraction),
                        ("unknown_fraction", self.unknown_fraction), ("machine_fraction", self.machine_fraction)):
            if not 0.0 <= p <= 1.0:
                raise SimulationError(f"{name} must lie in [0, 1], got {p}")
        if not 1 <= self.setup_window_days <= 120:
            raise SimulationError(f"setup_window_days must be 1 to 120, got {self.setup_window_days}")
        if self.max_photos < 1:
            raise SimulationError(f"max_photos must be at least 1, got {self.max_photos}")
        for cat in self.cats:
            if cat.n_individuals < 0 or cat.sigma_m <= 0 or cat.g0 < 0:
                raise SimulationError(
                    f"species {cat.scientific_name}: need n_individuals >= 0, sigma_m > 0, g0 >= 0 "
                    f"(got {cat.n_individuals}, {cat.sigma_m}, {cat.g0})")
            if not (0 <= cat.p_identifiable <= 1 and 0 <= cat.p_male <= 1):
                raise SimulationError(f"species {cat.scientific_name}: p_identifiable and p_male must lie in [0, 1]")
        for sp in self.others:
            label = sp.scientific_name or sp.observation_type
            if sp.observation_type not in ("animal", "human", "vehicle", "blank"):
                raise SimulationError(f"species {label}: observation_type must be animal, human, vehicle or blank")
            if sp.rate_per_day < 0 or not 0 <= sp.psi <= 1 or any(not 0 <= p <= 1 for _, p in sp.psi_by_country):
                raise SimulationError(f"species {label}: need rate_per_day >= 0 and occupancy in [0, 1]")
            if sp.mean_group < 1:
                raise SimulationError(f"species {label}: mean_group must be at least 1, got {sp.mean_group}")
        countries = [p.country for p in self.partners]
        if len(set(countries)) != len(countries) or len({p.code for p in self.partners}) != len(countries):
            raise SimulationError(f"partners must have distinct codes and countries, got {countries}")
        for p in self.partners:
            for cat in self.cats:
                p.individual_format(cat.key)

    def partner_for(self, country: str) -> Partner:
        """The partner whose cameras stand in a country."""
        for p in self.partners:
            if p.country == country:
                return p
        raise SimulationError(f"no partner configured for country {country}")
