"""A learnt whole-chip descriptor from a user-given ONNX file, combined with the local-feature score.

bigcats ships no weights and downloads none. A user exports a re-identification network (for example
MegaDescriptor through timm) to ONNX once, where torch is installed::

    model = timm.create_model("hf-hub:BVRA/MegaDescriptor-T-224", pretrained=True).eval()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), "megadescriptor.onnx", input_names=["image"])

and points bigcats at the file; onnxruntime (a small wheel, no torch) runs it. `OnnxEmbedder` satisfies the
`Descriptor` protocol (one keypoint at the chip's centre, one descriptor row: the L2-normalised embedding),
so it can also stand alone; `combine` adds its cosine similarity to the verified local-feature score.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from bigcats.identify.detector import _input_size, _session
from bigcats.identify.errors import IdentifyError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class OnnxEmbedder:
    """An image-to-embedding network from an ONNX file: input (1, 3, H, W) RGB, output (1, dim)."""

    def __init__(self, path: str | Path, mean: tuple[float, float, float] = IMAGENET_MEAN, std: tuple[float, float, float] = IMAGENET_STD, default_size: int = 224) -> None:
        self.path = str(path)
        self.session = _session(path)
        self.input_name = self.session.get_inputs()[0].name
        self.height, self.width = _input_size(self.session, default_size)
        self.mean = np.array(mean, np.float32)[:, None, None]
        self.std = np.array(std, np.float32)[:, None, None]
        probe = self._run(np.zeros((self.height, self.width), np.uint8))
        self.dim = int(probe.size)
        self.name = f"onnx:{Path(path).name}"

    def _run(self, img: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB) if img.ndim == 2 else cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)
        rgb = cv2.resize(rgb, (self.width, self.height), interpolation=cv2.INTER_AREA)
        x = (rgb.transpose(2, 0, 1).astype(np.float32) / 255.0 - self.mean) / self.std
        out = self.session.run(None, {self.input_name: np.ascontiguousarray(x[None])})[0]
        out = np.asarray(out, np.float32)
        if out.ndim < 2 or out.shape[0] != 1:
            raise IdentifyError(f"{self.path}: output of shape {out.shape}: expected (1, dim)")
        return out.reshape(-1)

    def embed(self, img: np.ndarray) -> np.ndarray:
        """The L2-normalised embedding of a chip (greyscale or BGR colour)."""
        if img.ndim not in (2, 3) or img.size == 0:
            raise IdentifyError(f"expected an image, got an array of shape {img.shape}")
        v = self._run(img)
        if not np.isfinite(v).all():
            raise IdentifyError(f"{self.path}: the model returned non-finite values")
        return (v / (np.linalg.norm(v) + 1e-12)).astype(np.float32)

    def detect_and_describe(self, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The `Descriptor` protocol: one keypoint at the chip's centre, the embedding as its descriptor."""
        h, w = grey.shape[:2]
        return np.array([[w / 2, h / 2, max(w, h), 0.0]], np.float32), self.embed(grey)[None, :]


def global_scores(query: np.ndarray, references: np.ndarray, code: np.ndarray, excluded: np.ndarray | None = None) -> pd.Series:
    """Best cosine similarity of the query's embedding to each individual's reference embeddings (index: code)."""
    if references.ndim != 2 or references.shape[1] != query.shape[-1]:
        raise IdentifyError(f"embeddings of dimension {query.shape[-1]} and {references.shape[1:]} cannot be compared")
    sim = references @ query.astype(np.float32)
    keep = np.ones(len(sim), bool) if excluded is None else ~np.asarray(excluded, bool)
    if not keep.any():
        return pd.Series(dtype=float)
    return pd.Series(sim[keep]).groupby(np.asarray(code)[keep]).max()


def combine(candidates: pd.DataFrame, sims: pd.Series, weight: float = 10.0, floor: float = 0.5) -> pd.DataFrame:
    """Candidates re-ranked on score + weight * max(0, cosine - floor); individuals only the embedding found join at that.

    `candidates` has code, score, lnbnn; the original local score stays in `local_score`, the similarity in `cosine`.
    """
    if weight < 0:
        raise IdentifyError(f"weight {weight} of the learnt descriptor must not be negative")
    c = candidates.copy()
    extra = sims.index.difference(pd.Index(c["code"]))
    if len(extra):
        add = pd.DataFrame({"code": extra.to_numpy(int), "score": 0.0, "lnbnn": 0.0})
        c = pd.concat([c, add], ignore_index=True) if len(c) else add
    c["cosine"] = c["code"].map(sims).fillna(-1.0).to_numpy(float)
    c["local_score"] = c["score"].astype(float)
    c["score"] = c["local_score"] + weight * np.maximum(0.0, c["cosine"] - floor)
    c = c.sort_values(["score", "lnbnn"], ascending=False, kind="stable").reset_index(drop=True)
    if "rank" in c.columns:
        c["rank"] = np.arange(1, len(c) + 1)
    return c
