"""A user's ONNX detector and learnt descriptor: loading, running, refusing; models built here, nothing downloaded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from bigcats.identify.detector import OnnxDetector, boxes_from_megadetector  # noqa: E402
from bigcats.identify.errors import IdentifyError  # noqa: E402
from bigcats.identify.features import Descriptor  # noqa: E402
from bigcats.identify.learnt import OnnxEmbedder, combine, global_scores  # noqa: E402


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def yolo_model(path, size: int, rows: np.ndarray):
    """A 'detector' whose output is fixed YOLO rows (cx, cy, w, h, obj, classes...), tied to its input by a zero term."""
    rows = rows.astype(np.float32)[None]
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, list(rows.shape))
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Add", ["rows", "z"], ["output"]),
    ]
    init = [numpy_helper.from_array(rows, "rows"), numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    return _save(helper.make_graph(nodes, "tiny_yolo", [inp], [out], init), path)


def embed_model(path, size: int = 32, dim: int = 8, seed: int = 0):
    """A randomly initialised conv net: conv 3->dim, ReLU, global average pool, flatten."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((dim, 3, 5, 5)).astype(np.float32)
    b = rng.standard_normal(dim).astype(np.float32)
    inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, size, size])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, dim])
    nodes = [
        helper.make_node("Conv", ["image", "w", "b"], ["c"], pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["embedding"]),
    ]
    init = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    return _save(helper.make_graph(nodes, "tiny_embedder", [inp], [out], init), path)


def test_detector_maps_letterboxed_boxes_back_to_the_frame(tmp_path):
    # A 64x64 input; a 200x100 frame is letterboxed at scale 0.32 with 16 px of padding above and below.
    rows = np.array([
        [32, 32, 32, 16, 0.9, 0.95, 0.01, 0.01],  # animal, centred: frame box (50, 25, 100, 50)
        [33, 32, 30, 16, 0.8, 0.90, 0.01, 0.01],  # the same animal again: suppressed
        [10, 20, 8, 8, 0.9, 0.01, 0.99, 0.01],  # a person: not wanted
        [50, 40, 8, 8, 0.1, 0.90, 0.01, 0.01],  # too unsure
    ])
    det = OnnxDetector(yolo_model(tmp_path / "det.onnx", 64, rows))
    frame = np.zeros((100, 200, 3), np.uint8)
    d = det.detect(frame)
    assert len(d) == 1 and d["category"].iloc[0] == 0
    assert np.allclose(d.iloc[0][["x", "y", "w", "h"]].to_numpy(float), [50, 25, 100, 50], atol=2)
    assert det.best_box(frame) == tuple(int(v) for v in d.iloc[0][["x", "y", "w", "h"]])
    # People when asked for; nothing at all when nothing is sure enough.
    assert OnnxDetector(tmp_path / "det.onnx", categories=(1,)).detect(frame)["category"].tolist() == [1]
    assert OnnxDetector(tmp_path / "det.onnx", min_conf=0.99).best_box(frame) is None


def test_detector_refuses_what_it_cannot_run(tmp_path):
    with pytest.raises(IdentifyError, match="no such model"):
        OnnxDetector(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\x00not a model" * 10)
    with pytest.raises(IdentifyError, match="not an ONNX model"):
        OnnxDetector(tmp_path / "junk.onnx")
    # A model whose output is not YOLO rows.
    bad = yolo_model(tmp_path / "bad.onnx", 32, np.zeros((3, 4)))
    with pytest.raises(IdentifyError, match="expected"):
        OnnxDetector(bad).detect(np.zeros((50, 50, 3), np.uint8))


def test_megadetector_file_gives_the_best_animal_box(tmp_path):
    md = {"info": {"format_version": "1.3"}, "detection_categories": {"1": "animal", "2": "person"},
          "images": [{"file": "a.jpg", "detections": [{"category": "1", "conf": 0.5, "bbox": [0.1, 0.2, 0.3, 0.4]},
                                                      {"category": "1", "conf": 0.9, "bbox": [0.5, 0.5, 0.2, 0.2]},
                                                      {"category": "2", "conf": 0.99, "bbox": [0, 0, 1, 1]}]},
                     {"file": "b.jpg", "detections": [{"category": "1", "conf": 0.05, "bbox": [0, 0, 1, 1]}]},
                     {"file": "c.jpg", "failure": "unreadable"}]}
    (tmp_path / "md.json").write_text(json.dumps(md))
    boxes = boxes_from_megadetector(tmp_path / "md.json")
    assert boxes["file"].tolist() == ["a.jpg"]
    assert boxes.iloc[0][["bboxX", "bboxY", "bboxWidth", "bboxHeight"]].tolist() == [0.5, 0.5, 0.2, 0.2]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(IdentifyError):
        boxes_from_megadetector(tmp_path / "bad.json")


def test_learnt_descriptor_loads_a_saved_random_model(tmp_path):
    emb = OnnxEmbedder(embed_model(tmp_path / "emb.onnx"))
    assert isinstance(emb, Descriptor) and emb.dim == 8
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, (60, 90, 3), np.uint8)
    b = rng.integers(0, 255, (60, 90), np.uint8)
    va, vb = emb.embed(a), emb.embed(b)
    assert np.isclose(np.linalg.norm(va), 1) and np.allclose(va, emb.embed(a.copy()))
    assert not np.allclose(va, vb)
    kps, desc = emb.detect_and_describe(b)
    assert kps.shape == (1, 4) and desc.shape == (1, 8) and np.allclose(desc[0], vb)
    # A different random model gives a different embedding: the weights are really read from the file.
    other = OnnxEmbedder(embed_model(tmp_path / "emb2.onnx", seed=5))
    assert not np.allclose(other.embed(a), va)
    with pytest.raises(IdentifyError):
        emb.embed(np.zeros((0, 0), np.uint8))


def test_combined_score_moves_the_embeddings_choice_up():
    refs = np.eye(4, dtype=np.float32)
    code = np.array([0, 1, 2, 2])
    q = np.array([0, 0, 0.1, 1], np.float32)
    q /= np.linalg.norm(q)
    sims = global_scores(q, refs, code)
    assert sims.idxmax() == 2 and np.isclose(sims[2], q[3])
    # Excluding the photos of individual 2 leaves it out of the similarities.
    assert 2 not in global_scores(q, refs, code, excluded=code == 2).index
    cand = pd.DataFrame({"rank": [1, 2], "code": [0, 1], "score": [3.0, 1.0], "lnbnn": [4.0, 2.0]})
    out = combine(cand, sims, weight=10, floor=0.5)
    assert out["code"].iloc[0] == 2 and out["rank"].tolist() == [1, 2, 3]
    assert out.set_index("code").loc[0, "local_score"] == 3.0
    with pytest.raises(IdentifyError):
        combine(cand, sims, weight=-1)
    with pytest.raises(IdentifyError):
        global_scores(np.ones(3, np.float32), refs, code)

