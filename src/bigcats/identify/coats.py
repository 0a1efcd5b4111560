"""Synthetic coats of tigers, leopards and snow leopards, rendered as camera traps see them.

No openly licensed photo sets of these cats exist offline, so identification is measured on generated
individuals with known truth. Each individual's two flanks come from independent seeds (a tiger's flanks
differ); each photo draws a fresh viewpoint, light, blur, compression, occlusion and background, with the
strength of each set by a difficulty level.

Stripes are a Turing pattern (activator–inhibitor iteration of anisotropic differences of Gaussians, the
cheap equivalent of reaction–diffusion); rosettes are rings of dark arcs around a darker centre, laid on a
jittered grid so that no two individuals share a layout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError

SPECIES = {
    "tiger": "Panthera tigris altaica",
    "leopard": "Panthera pardus orientalis",
    "snow_leopard": "Panthera uncia",
}
SIDES = ("left", "right")
TEXTURE_SHAPE = (256, 576)  # rows, columns of a flank texture (body axis along columns)
FRAME_SHAPE = (480, 640)  # rows, columns of a rendered camera-trap frame


@dataclass(frozen=True)
class Level:
    """How hard a photo is: the range of each nuisance applied when rendering."""

    name: str
    corner_jitter: float  # perspective: corner displacement as a fraction of body size
    yaw: float  # max ratio of near-end to far-end height minus 1
    rotation_deg: float
    body_width: tuple[float, float]  # body length as a fraction of frame width
    bend: float  # body curvature, fraction of body height
    blur_px: tuple[float, float]  # motion blur length
    jpeg: tuple[int, int]
    grass: tuple[int, int]  # number of grass blades in front of the animal
    branch_p: float  # probability of a branch across the animal
    ir_p: float  # probability the photo is an infrared night shot
    light: float  # spread of exposure and contrast changes
    noise: float  # sensor noise sd (grey levels)


LEVELS = {
    "easy": Level("easy", 0.04, 0.10, 4, (0.70, 0.85), 0.04, (0, 1.5), (88, 95), (0, 6), 0.0, 0.3, 0.10, 2),
    "moderate": Level("moderate", 0.06, 0.20, 8, (0.50, 0.80), 0.08, (0, 5), (60, 90), (5, 25), 0.3, 0.4, 0.25, 4),
    "hard": Level("hard", 0.15, 0.45, 14, (0.35, 0.75), 0.12, (3, 11), (35, 70), (20, 60), 0.6, 0.5, 0.40, 7),
}


def _rng(*keys: object) -> np.random.Generator:
    # A stable seed from any keys: the same individual always gets the same coat, whatever else is generated.
    digest = hashlib.blake2b(repr(keys).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def _check_species(species: str) -> None:
    if species not in SPECIES:
        raise IdentifyError(f"unknown species {species!r}: expected one of {', '.join(SPECIES)}")


def _stripes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Tiger stripes: a Turing pattern elongated across the body axis; 1 = black."""
    h, w = shape
    x = rng.standard_normal((h, w)).astype(np.float32)
    # Stripes run dorsal to ventral: blur more along rows (y) than columns (x).
    period = rng.uniform(18, 24)
    sx, sy = period / 6.0, period / 2.2
    for _ in range(6):
        a = cv2.GaussianBlur(x, (0, 0), sigmaX=sx, sigmaY=sy, borderType=cv2.BORDER_REFLECT)
        b = cv2.GaussianBlur(x, (0, 0), sigmaX=sx * 2.2, sigmaY=sy * 1.6, borderType=cv2.BORDER_REFLECT)
        d = a - b
        x = np.tanh(4.0 * d / (d.std() + 1e-6)).astype(np.float32)
    # A bias leaves more ground colour than black, and thins stripes towards the belly as on real tigers.
    rows = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    marks = (x > 0.3 + 0.55 * rows**3).astype(np.float32)
    return cv2.GaussianBlur(marks, (0, 0), 0.8)


def _rosettes(rng: np.random.Generator, shape: tuple[int, int], snow: bool) -> np.ndarray:
    """Rosettes on a jittered grid: dark arcs around a darker centre; 1 = black, 0.35 = centre fill."""
    h, w = shape
    marks = np.zeros((h, w), np.float32)
    centre = np.zeros((h, w), np.float32)
    r_lo, r_hi = (12, 20) if snow else (8, 13)
    step = (2.9 if snow else 2.7) * (r_lo + r_hi) / 2
    gy, gx = np.mgrid[step / 2 : h : step, step / 2 : w : step * 0.95]
    n = gx.size
    cx = gx.ravel() + rng.uniform(-0.35, 0.35, n) * step
    cy = gy.ravel() + rng.uniform(-0.35, 0.35, n) * step
    radius = rng.uniform(r_lo, r_hi, n)
    aspect = rng.uniform(0.65, 1.0, n)
    tilt = rng.uniform(0, 180, n)
    n_arcs = rng.integers(2, 6, n)
    thick = rng.integers(2, 5 if snow else 4, n)
    solid = rng.random(n) < (0.15 if snow else 0.08)  # some marks are solid spots, not rosettes
    for i in range(n):  # drawing primitives, one rosette at a time (a few hundred per flank)
        c = (int(cx[i] * 4), int(cy[i] * 4))
        axes = (int(radius[i] * 4), int(radius[i] * aspect[i] * 4))
        if solid[i]:
            small = (max(axes[0] // 3, 4), max(axes[1] // 3, 4))
            cv2.ellipse(marks, c, small, tilt[i], 0, 360, 1.0, -1, cv2.LINE_AA, shift=2)
            continue
        cv2.ellipse(centre, c, axes, tilt[i], 0, 360, 1.0, -1, cv2.LINE_AA, shift=2)
        cuts = np.sort(rng.uniform(0, 360, n_arcs[i]))
        gaps = rng.uniform(12, 45, n_arcs[i])
        ends = np.r_[cuts[1:], cuts[0] + 360] - gaps
        for a0, a1 in zip(cuts, ends, strict=True):
            if a1 > a0:
                cv2.ellipse(marks, c, axes, tilt[i], float(a0), float(a1), 1.0, int(thick[i]), cv2.LINE_AA, shift=2)
    # Small solid spots between rosettes.
    k = int(n * 1.5)
    sx, sy = rng.uniform(0, w, k), rng.uniform(0, h, k)
    sr = rng.uniform(1.5, 3.5, k)
    for x0, y0, r0 in zip(sx, sy, sr, strict=True):
        cv2.circle(marks, (int(x0 * 4), int(y0 * 4)), int(r0 * 4), 1.0, -1, cv2.LINE_AA, shift=2)
    return np.maximum(np.clip(marks, 0, 1), 0.35 * np.clip(centre, 0, 1))


def coat(species: str, individual: str, side: str, seed: int = 0) -> np.ndarray:
    """The flank pattern of one individual and side: a float32 mark map in [0, 1] (1 = black)."""
    _check_species(species)
    if side not in SIDES:
        raise IdentifyError(f"unknown side {side!r} for individual {individual!r}: expected left or right")
    rng = _rng("coat", species, individual, side, seed)
    if species == "tiger":
        return _stripes(rng, TEXTURE_SHAPE)
    return _rosettes(rng, TEXTURE_SHAPE, snow=species == "snow_leopard")


_PALETTE = {  # BGR: ground (back), ground (belly), mark, rosette centre
    "tiger": ((20, 95, 205), (200, 215, 230), (15, 15, 20), (20, 95, 205)),
    "leopard": ((55, 140, 205), (190, 210, 225), (20, 20, 25), (30, 95, 165)),
    "snow_leopard": ((175, 180, 185), (225, 225, 225), (55, 55, 60), (140, 145, 150)),
}


def _colour_flank(species: str, marks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour a mark map: ground graded to a pale belly, black marks, darker rosette centres, fine fur."""
    h, w = marks.shape
    back, belly, mark, centre = (np.array(c, np.float32) for c in _PALETTE[species])
    t = np.clip((np.linspace(0, 1, h, dtype=np.float32)[:, None, None] - 0.6) / 0.4, 0, 1)
    ground = back * (1 - t) + belly * t
    ground = np.broadcast_to(ground, (h, w, 3))
    solid = np.clip((marks - 0.35) / 0.65, 0, 1)[..., None]
    fill = np.clip(marks / 0.35, 0, 1)[..., None] * (1 - solid)
    img = ground * (1 - solid - fill) + mark * solid + centre * fill
    fur = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 0.7)
    return np.clip(img * (1 + 0.06 * fur[..., None]), 0, 255).astype(np.float32)


def _body(flank: np.ndarray, bend: float, out_h: int) -> tuple[np.ndarray, np.ndarray]:
    """Wrap a flank round a bent cylinder: rows squeezed and shaded towards the back and belly, with alpha."""
    h, w = flank.shape[:2]
    v = np.linspace(-1, 1, out_h, dtype=np.float32)[:, None]
    u = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    # Seen side on, a cylinder shows its surface compressed as arcsin of the projected height.
    src_y = (np.arcsin(np.clip(v, -0.999, 0.999)) / np.pi + 0.5) * (h - 1)
    src_y = src_y + bend * h * (4 * (u - 0.5) ** 2 - 0.5)
    src_x = np.broadcast_to(u * (w - 1), (out_h, w))
    src_y = np.broadcast_to(src_y, (out_h, w))
    img = cv2.remap(flank, src_x.astype(np.float32), src_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    shade = 0.55 + 0.45 * np.sqrt(np.clip(1 - v**2, 0, 1))
    img = img * shade[..., None]
    # Rounded ends of the torso: an ellipse-capped band.
    cap = ((np.abs(u - 0.5) - 0.4) / 0.1).clip(0, 1)
    alpha = (np.abs(v) <= np.sqrt(1 - cap**2)).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.2)
    return img.astype(np.float32), alpha


def _background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A cluttered forest floor: mottled ground, trunks, branches, leaves and stones in earthy colours."""
    h, w = shape
    base = rng.uniform([35, 70, 60], [80, 125, 115])

    def earthy() -> list[float]:
        # Browns, greys and greens: the base colour scaled, never a saturated hue.
        return (base * rng.uniform(0.3, 1.8) * rng.uniform(0.85, 1.15, 3)).clip(0, 255).tolist()

    low = cv2.resize(rng.standard_normal((6, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    tint = cv2.resize(rng.standard_normal((4, 5, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    mid = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 2.5)
    img = base * (1 + 0.35 * low + 0.6 * mid)[..., None] + 8 * tint
    img = np.clip(img, 0, 255).astype(np.float32)
    for _ in range(rng.integers(2, 6)):  # trunks
        x0 = int(rng.uniform(0, w))
        cv2.rectangle(img, (x0, 0), (x0 + int(rng.uniform(10, 45)), h), earthy(), -1)
    for _ in range(rng.integers(10, 30)):  # fallen branches and twigs
        p = rng.uniform([0, 0], [w, h]).astype(int)
        q = (p + rng.normal(0, 120, 2)).astype(int)
        cv2.line(img, tuple(p.tolist()), tuple(q.tolist()), earthy(), int(rng.integers(1, 5)), cv2.LINE_AA)
    for _ in range(rng.integers(40, 120)):  # leaves and stones
        c = rng.uniform([0, 0], [w, h]).astype(int)
        ax = rng.uniform(2, 9, 2).astype(int)
        cv2.ellipse(img, tuple(c.tolist()), tuple(ax.tolist()), rng.uniform(0, 180), 0, 360, earthy(), -1, cv2.LINE_AA)
    return img


def _occlude(img: np.ndarray, rng: np.random.Generator, level: Level, box: tuple[int, int, int, int]) -> None:
    """Grass blades rising from the ground and an optional branch across the animal, drawn in place."""
    h, w = img.shape[:2]
    x, y, bw, bh = box
    n = int(rng.integers(level.grass[0], level.grass[1] + 1))
    if n:
        x0 = rng.uniform(x - 0.1 * bw, x + 1.1 * bw, n)
        top = rng.uniform(y + 0.15 * bh, y + 1.05 * bh, n)
        lean = rng.normal(0, 25, n)
        cols = rng.uniform([20, 70, 50], [70, 160, 130], (n, 3))
        widths = rng.integers(1, 4, n)
        for i in range(n):
            pts = np.array([[x0[i], h], [x0[i] + lean[i] * 0.5, (h + top[i]) / 2], [x0[i] + lean[i], top[i]]], np.int32)
            cv2.polylines(img, [pts], False, cols[i].tolist(), int(widths[i]), cv2.LINE_AA)
    if rng.random() < level.branch_p:
        p = (int(x - 0.2 * bw), int(rng.uniform(y, y + bh)))
        q = (int(x + 1.2 * bw), int(rng.uniform(y, y + bh)))
        cv2.line(img, p, q, rng.uniform(20, 90, 3).tolist(), int(rng.integers(4, 10)), cv2.LINE_AA)


def _motion_blur(img: np.ndarray, length: float, angle: float) -> np.ndarray:
    if length < 1:
        return img
    k = int(np.ceil(length)) | 1
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2, :] = 1
    rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (k, k))
    return cv2.filter2D(img, -1, kernel / kernel.sum())


def render(
    species: str,
    individual: str,
    side: str,
    photo: int,
    level: str = "moderate",
    seed: int = 0,
    infrared: bool | None = None,
) -> tuple[np.ndarray, tuple[int, int, int, int], bool]:
    """One camera-trap photo of an individual's flank: (BGR or grey uint8 image, animal box x,y,w,h, infrared)."""
    if level not in LEVELS:
        raise IdentifyError(f"unknown difficulty level {level!r}: expected one of {', '.join(LEVELS)}")
    lv = LEVELS[level]
    rng = _rng("photo", species, individual, side, photo, level, seed)
    marks = coat(species, individual, side, seed)
    flank = _colour_flank(species, marks, rng)
    th, tw = TEXTURE_SHAPE
    body, alpha = _body(flank, rng.uniform(-lv.bend, lv.bend), int(th * 0.8))
    if side == "left":  # a left flank is seen with the head to the left
        body, alpha = body[:, ::-1], alpha[:, ::-1]
    bh, bw = body.shape[:2]
    fh, fw = FRAME_SHAPE
    # Perspective: scale to the frame, yaw (near end taller), roll, corner jitter.
    out_w = rng.uniform(*lv.body_width) * fw
    s = out_w / bw
    yaw = rng.uniform(-lv.yaw, lv.yaw)
    src = np.float32([[0, 0], [bw, 0], [bw, bh], [0, bh]])
    hl, hr = (1 + max(-yaw, 0)), (1 + max(yaw, 0))
    dst = np.float32([[0, -bh * (hl - 1) / 2], [bw, -bh * (hr - 1) / 2], [bw, bh * (1 + (hr - 1) / 2)], [0, bh * (1 + (hl - 1) / 2)]])
    dst += rng.normal(0, lv.corner_jitter, (4, 2)).astype(np.float32) * np.float32([bw, bh])
    dst *= s
    ang = np.deg2rad(rng.uniform(-lv.rotation_deg, lv.rotation_deg))
    rot = np.float32([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    dst = dst @ rot.T
    lo, hi = dst.min(0), dst.max(0)
    size = hi - lo
    off = np.array([rng.uniform(0, max(fw - size[0], 1)), rng.uniform(fh * 0.15, max(fh - size[1], fh * 0.15 + 1))]) - lo
    off[1] = min(off[1], fh - hi[1])  # keep the animal inside the frame vertically
    dst = (dst + off).astype(np.float32)
    H = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(body, H, (fw, fh), flags=cv2.INTER_LINEAR)
    a = cv2.warpPerspective(alpha, H, (fw, fh), flags=cv2.INTER_LINEAR)[..., None]
    img = _background(rng, FRAME_SHAPE) * (1 - a) + warped * a
    x0, y0 = np.clip(dst.min(0), 0, [fw, fh]).astype(int)
    x1, y1 = np.clip(dst.max(0), 0, [fw, fh]).astype(int)
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    _occlude(img, rng, lv, box)
    ir = bool(rng.random() < lv.ir_p) if infrared is None else infrared
    # Light: exposure, contrast and a shadow gradient across the frame.
    gain = np.exp(rng.normal(0, lv.light))
    grad = 1 + rng.uniform(-lv.light, lv.light) * np.linspace(-1, 1, fw, dtype=np.float32)[None, :, None]
    img = img * gain * grad
    if ir:
        # Fur reflects near-infrared strongly whatever its visible colour; the flash falls off to the corners.
        grey = 0.15 * img[..., 0] + 0.25 * img[..., 1] + 0.6 * img[..., 2]
        yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
        vign = 1.15 - 0.6 * (((xx - fw / 2) / fw) ** 2 + ((yy - fh / 2) / fh) ** 2)
        img = (grey * vign)[..., None]
    img = _motion_blur(img, rng.uniform(*lv.blur_px), rng.uniform(0, 180))
    if img.ndim == 2:
        img = img[..., None]
    img = img + rng.normal(0, lv.noise, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if ir:
        img = img[..., 0]
    q = int(rng.integers(lv.jpeg[0], lv.jpeg[1] + 1))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img, box, ir


def generate_dataset(
    out: str | Path,
    individuals: int = 50,
    photos: int = 6,
    species: str = "tiger",
    level: str = "moderate",
    seed: int = 0,
) -> pd.DataFrame:
    """Write `<individual>/<image>.jpg` and `labels.csv`; each encounter is a paired station shooting both flanks."""
    _check_species(species)
    if individuals < 1 or photos < 1:
        raise IdentifyError(f"need at least one individual and one photo (got {individuals} individuals, {photos} photos)")
    out = Path(out)
    prefix = {"tiger": "T", "leopard": "L", "snow_leopard": "S"}[species]
    rows = []
    for i in range(individuals):
        ind = f"{prefix}{i + 1:03d}"
        (out / ind).mkdir(parents=True, exist_ok=True)
        for j in range(photos):
            side = SIDES[j % 2]
            img, box, ir = render(species, ind, side, j, level, seed)
            name = f"{ind}/{ind}_{j:02d}_{side}.jpg"
            cv2.imwrite(str(out / name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            rows.append((name, ind, side, f"{ind}-e{j // 2}", SPECIES[species], level, ir, *box))
    labels = pd.DataFrame(rows, columns=["image", "individual", "side", "encounter", "scientificName", "level", "infrared", "x", "y", "w", "h"])
    labels.to_csv(out / "labels.csv", index=False)
    return labels
