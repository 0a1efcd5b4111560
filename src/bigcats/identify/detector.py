"""Finding the animal with a detector the user gives as an ONNX file (e.g. MegaDetector v5 exported to ONNX).

Nothing is downloaded: the user points at a model file, onnxruntime runs it on the CPU. The expected model is a
YOLO-style detector (MegaDetector v5 is YOLOv5): one input of shape (1, 3, H, W), RGB scaled to 0..1, the frame
letterboxed into it; one output of shape (1, N, 5 + C) with box centre x, centre y, width, height (input pixels),
objectness and C class scores. Boxes come back in the frame's pixels, best first, after non-maximum suppression.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError

BOX_COLUMNS = ["x", "y", "w", "h", "conf", "category"]


def _session(path: str | Path):
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise IdentifyError(f"{path}: no such model file")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # one core per worker, as everywhere in identification
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for a corrupt or foreign file
        raise IdentifyError(f"{path}: not an ONNX model onnxruntime can run ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _input_size(session, default: int) -> tuple[int, int]:
    shape = session.get_inputs()[0].shape
    if len(shape) != 4:
        raise IdentifyError(f"model input has shape {shape}: expected (1, 3, height, width)")
    h, w = shape[2], shape[3]
    return (h if isinstance(h, int) and h > 0 else default), (w if isinstance(w, int) and w > 0 else default)


class OnnxDetector:
    """A YOLO-style animal detector from an ONNX file; `detect(frame)` gives boxes in the frame's pixels."""

    def __init__(self, path: str | Path, categories: tuple[int, ...] = (0,), min_conf: float = 0.2, iou: float = 0.45, default_size: int = 640) -> None:
        self.path = str(path)
        self.session = _session(path)
        self.input_name = self.session.get_inputs()[0].name
        self.height, self.width = _input_size(self.session, default_size)
        self.categories = tuple(categories)  # MegaDetector: 0 animal, 1 person, 2 vehicle
        self.min_conf = min_conf
        self.iou = iou

    def _letterbox(self, img: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int]]:
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        scale = min(self.width / img.shape[1], self.height / img.shape[0])
        w, h = max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale))
        canvas = np.full((self.height, self.width, 3), 114, np.uint8)  # YOLO's grey padding
        px, py = (self.width - w) // 2, (self.height - h) // 2
        canvas[py : py + h, px : px + w] = cv2.resize(img[..., :3], (w, h), interpolation=cv2.INTER_AREA)
        blob = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        return np.ascontiguousarray(blob), scale, (px, py)

    def detect(self, img: np.ndarray) -> pd.DataFrame:
        """Boxes (x, y, w, h in frame pixels, conf, category) of the wanted categories, best first."""
        if img.ndim not in (2, 3) or img.size == 0:
            raise IdentifyError(f"expected an image, got an array of shape {img.shape}")
        blob, scale, (px, py) = self._letterbox(img)
        out = self.session.run(None, {self.input_name: blob})[0]
        out = np.asarray(out, np.float32)
        if out.ndim == 3:
            out = out[0]
        if out.ndim != 2 or out.shape[1] < 6:
            raise IdentifyError(f"{self.path}: detector output of shape {out.shape}: expected (1, N, 5 + classes) as YOLO writes")
        cls_scores = out[:, 5:] * out[:, 4:5]
        category = cls_scores.argmax(1)
        conf = cls_scores[np.arange(len(out)), category]
        keep = (conf >= self.min_conf) & np.isin(category, self.categories) & np.isfinite(out[:, :4]).all(1)
        out, conf, category = out[keep], conf[keep], category[keep]
        if not len(out):
            return pd.DataFrame(columns=BOX_COLUMNS)
        # Centre/size in letterboxed input pixels back to the frame's top-left/size.
        x = (out[:, 0] - out[:, 2] / 2 - px) / scale
        y = (out[:, 1] - out[:, 3] / 2 - py) / scale
        w, h = out[:, 2] / scale, out[:, 3] / scale
        x0, y0 = np.clip(x, 0, img.shape[1]), np.clip(y, 0, img.shape[0])
        x1, y1 = np.clip(x + w, 0, img.shape[1]), np.clip(y + h, 0, img.shape[0])
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], 1)
        ok = (boxes[:, 2] > 1) & (boxes[:, 3] > 1)
        boxes, conf, category = boxes[ok], conf[ok], category[ok]
        idx = cv2.dnn.NMSBoxes(boxes.tolist(), conf.tolist(), self.min_conf, self.iou)
        idx = np.array(idx, int).ravel()
        res = pd.DataFrame(np.round(boxes[idx]).astype(int), columns=["x", "y", "w", "h"])
        res["conf"] = conf[idx].astype(float)
        res["category"] = category[idx].astype(int)
        return res.sort_values("conf", ascending=False, kind="stable").reset_index(drop=True)

    def best_box(self, img: np.ndarray) -> tuple[int, int, int, int] | None:
        """The most confident box of a wanted category, or None when the detector sees no animal."""
        d = self.detect(img)
        return None if d.empty else tuple(int(v) for v in d.iloc[0][["x", "y", "w", "h"]])


def boxes_from_megadetector(path: str | Path, min_conf: float = 0.2, category: str = "animal") -> pd.DataFrame:
    """The best animal box of each photo in a MegaDetector batch output file: file, bboxX, bboxY, bboxWidth, bboxHeight, conf.

    Boxes stay relative to the frame (0..1), as MegaDetector and Camtrap DP write them; `extract_folder`
    reads these columns from labels.csv.
    """
    from bigcats.intake.megadetector import load_json, read_megadetector
    from bigcats.intake.report import IntakeError

    try:
        dets, _ = read_megadetector(load_json(path), str(path))
    except IntakeError as exc:
        raise IdentifyError(str(exc)) from exc
    d = dets[(dets["category"] == category) & (dets["conf"] >= min_conf)].dropna(subset=["bboxX"])
    d = d.sort_values("conf", ascending=False, kind="stable").drop_duplicates("file")
    return d[["file", "bboxX", "bboxY", "bboxWidth", "bboxHeight", "conf"]].reset_index(drop=True)
