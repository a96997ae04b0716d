"""A torch-free encoder: all-MiniLM-L6-v2 exported to ONNX and run with onnxruntime.

sentence-transformers' own ONNX backend needs optimum, which needs transformers < 4.58
(the project pins 5.x), and it still imports torch. So the index build exports the
model itself (:func:`export_onnx`: torch's exporter; int8 quantization is available
but off, see there) into the index folder, embeds the products with it
(:mod:`catalog.embedding`, :data:`BUILD_THREADS`), and serving runs that file with
onnxruntime and the Hugging Face ``tokenizers`` library: no torch in the serving
process. A query encodes in ~3-4 ms instead of ~10-18 ms through torch
(bench/search_latency.py).

The exported graph does the same as the sentence-transformers pipeline it came from:
BERT, mean pooling over the attention mask, L2 normalisation; tests check the
cosine to the torch vectors on real queries and products.

Example:
    >>> export_onnx(load_encoder(), Path("var/index/encoder.onnx"))  # doctest: +SKIP
    >>> OnnxEncoder(Path("var/index/encoder.onnx")).encode(["rain jacket"]).shape  # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Encoding, Tokenizer

__all__ = [
    "BUILD_THREADS",
    "ONNX_FILE",
    "QUERY_THREADS",
    "OnnxEncoder",
    "export_onnx",
    "quantize_int8",
]

logger = logging.getLogger(__name__)

ONNX_FILE = "encoder.onnx"
"""Name of the exported encoder inside an index folder (a build output, used for queries)."""

QUERY_THREADS = 1
"""onnxruntime intra-op threads. One query is a small graph: on this shared 2-core machine
a second thread mostly adds hand-off cost and jitter to p99 (bench/search_latency.py);
builds, which encode batches, pass :data:`BUILD_THREADS`."""

BUILD_THREADS = 2
"""onnxruntime intra-op threads for embedding a catalog: batches of 128-piece texts keep both
cores of this machine busy (bench/search_latency.py measures the build)."""

MIN_COSINE = 0.99
"""Lowest cosine to the torch vectors an int8 graph may have on :data:`FIDELITY_PROBES`."""

FIDELITY_PROBES = (
    "warm waterproof jacket for hiking under 150",
    "something to keep my feet dry on a rainy walk",
    "present for a runner",
    "cast iron pan",
    "blue running shoes size 10",
    "cheap wireless headphones",
    "comfy thing to sit on outside",
    "yoga mat",
    "a gift for someone who loves coffee",
    "waterprof hikng boots",
)
"""Shopper-like queries, typos included, that a quantized graph is checked on at export."""

_OPSET = 17


def export_onnx(model: SentenceTransformer, path: Path, *, quantize: bool = False) -> Path:
    """Writes ``model`` (BERT + mean pooling + normalisation) as one ONNX graph to ``path``.

    Args:
        model: The sentence-transformers model the index was embedded with.
        path: Target file; written under a temporary name and renamed into place.
        quantize: Try int8 weights (dynamic, per channel): 4x smaller, ~2x faster, but
            on the 287 demo queries the worst cosine to torch was 0.981 (mean 0.993), under
            :data:`MIN_COSINE`, so builds keep fp32 (worst cosine 1.0000); with this set the
            int8 graph is kept only when it passes the probe check.

    Returns:
        ``path``.
    """
    import torch

    transformer = model[0].auto_model
    wrapper = _pooled(transformer).eval()
    sample = model.tokenizer(["a sample query"], return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        raw = Path(work) / "fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                wrapper,
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(raw),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "token_type_ids": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                },
                opset_version=_OPSET,
                dynamo=False,
            )
        final = raw
        if quantize:
            final = _quantized_if_faithful(model, raw, Path(work) / "int8.onnx")
        os.replace(final, path)
    logger.info("exported the encoder to %s in %.1fs", path, time.perf_counter() - started)
    return path


def _quantized_if_faithful(model: SentenceTransformer, raw: Path, target: Path) -> Path:
    """Quantizes ``raw`` to int8 and returns it, or ``raw`` when int8 strays from torch.

    Per-channel unsigned-int8 weights kept cosine >= 0.99 on the demo queries where
    plain per-tensor int8 fell to 0.94; the check runs on every build, so a model
    that quantizes worse keeps its fp32 graph instead of serving worse vectors.
    """
    from catalog.encoder import encode

    quantize_int8(raw, target)
    expected = encode(FIDELITY_PROBES, encoder=model)
    got = OnnxEncoder(target).encode(FIDELITY_PROBES)
    worst = float((expected * got).sum(axis=1).min())
    if worst < MIN_COSINE:
        logger.warning("int8 encoder cosine %.4f < %.2f: keeping fp32", worst, MIN_COSINE)
        return raw
    logger.info("int8 encoder: worst cosine to torch %.4f on %d probes", worst, len(expected))
    return target


def quantize_int8(source: Path, target: Path, *, signed: bool = False) -> Path:
    """Writes ``source`` with int8 weights (onnxruntime dynamic quantization, per channel)
    to ``target``; activations are quantized per batch at run time.

    Args:
        source: The fp32 graph.
        target: Where the int8 graph goes.
        signed: Signed weights: onnxruntime runs them with the CPU's unsigned x signed
            int8 kernels (VNNI here), ~2.5x faster than unsigned weights on the demo
            products; unsigned ones are what the query check above was measured with.

    Returns:
        ``target``.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    weights = QuantType.QInt8 if signed else QuantType.QUInt8
    quantize_dynamic(str(source), str(target), weight_type=weights, per_channel=True)
    logger.info("quantized %s to int8 in %.1fs", source.name, time.perf_counter() - started)
    return target


def _pooled_module() -> Any:
    """Defines the export wrapper lazily, so importing this module never imports torch."""
    import torch

    class Pooled(torch.nn.Module):
        """BERT followed by sentence-transformers' mean pooling and L2 normalisation."""

        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            tokens = out[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled


def _pooled(transformer: Any) -> Any:
    return _pooled_module()(transformer)


class OnnxEncoder:
    """Encodes texts with an exported :data:`ONNX_FILE` and the model's own tokenizer.

    Queries use one thread and the model's 256 word pieces; a build passes
    :data:`BUILD_THREADS` and :data:`catalog.encoder.DOCUMENT_TOKENS`.
    """

    def __init__(
        self,
        path: Path,
        *,
        tokenizer_dir: Path | None = None,
        threads: int = QUERY_THREADS,
        max_tokens: int = 256,
    ) -> None:
        """Opens ``path`` with onnxruntime on ``threads`` intra-op threads.

        Args:
            path: The exported model.
            tokenizer_dir: Folder holding ``tokenizer.json``; the packaged model's by default.
            threads: onnxruntime intra-op threads.
            max_tokens: Word pieces kept per text, as sentence-transformers' ``max_seq_length``.
        """
        import onnxruntime

        if tokenizer_dir is None:
            from catalog.encoder import model_path

            tokenizer_dir = model_path()
        self.path = path
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer_file = tokenizer_dir / "tokenizer.json"
        self._tokenizers: dict[int, Tokenizer] = {}
        self.max_tokens = max_tokens
        self._tokenizer_for(max_tokens)  # a missing tokenizer fails here, not at the first query
        self._dimension = int(self._session.get_outputs()[0].shape[1] or 0) or None

    def _tokenizer_for(self, max_tokens: int) -> Tokenizer:
        """The tokenizer truncating at ``max_tokens``, one per length (a tokenizer's
        truncation is state, so one shared object cannot serve two lengths)."""
        tokenizer = self._tokenizers.get(max_tokens)
        if tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._tokenizer_file))
            tokenizer.enable_truncation(max_length=max_tokens)
            tokenizer.no_padding()  # the packaged file pads to 128; batches pad themselves
            self._tokenizers[max_tokens] = tokenizer
        return tokenizer

    def get_embedding_dimension(self) -> int:
        """The vector size, read from the graph (or from one encode when it is dynamic)."""
        if self._dimension is None:
            probe = self._tokenizer_for(self.max_tokens).encode_batch(["x"])
            self._dimension = int(self._run(probe).shape[1])
        return self._dimension

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        *,
        max_tokens: int | None = None,
        show_progress_bar: bool = False,
        **_: Any,
    ) -> np.ndarray:
        """Returns unit-length float32 rows for ``texts``, in their order.

        Texts are batched by token length, so a batch pads to its own longest text,
        not to the longest of all. Other keywords are ignored, so this stands in for
        ``SentenceTransformer.encode`` in :func:`catalog.encoder.encode`.

        Args:
            texts: Texts to embed.
            batch_size: Texts per forward pass.
            max_tokens: Word pieces kept per text; this encoder's ``max_tokens`` by default.
            show_progress_bar: Draw a progress bar (batches) on stderr.
        """
        if len(texts) == 0:
            return np.empty((0, self.get_embedding_dimension()), np.float32)
        tokenizer = self._tokenizer_for(max_tokens or self.max_tokens)
        encodings = tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        vectors = np.empty((len(texts), self.get_embedding_dimension()), np.float32)
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="embedding", unit="batch", disable=not show_progress_bar):
            rows = order[start : start + batch_size]
            vectors[rows] = self._run([encodings[row] for row in rows])
        return vectors

    def _run(self, encodings: Sequence[Encoding]) -> np.ndarray:
        """Runs one batch, padded with zeros (``[PAD]``, mask 0) to its longest text."""
        width = max(len(e.ids) for e in encodings)
        feed = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            feed["input_ids"][row, :length] = encoding.ids
            feed["attention_mask"][row, :length] = encoding.attention_mask
            feed["token_type_ids"][row, :length] = encoding.type_ids
        (vectors,) = self._session.run(None, feed)
        return np.asarray(vectors, dtype=np.float32)
