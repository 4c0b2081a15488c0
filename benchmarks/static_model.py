"""A static embedding model distilled from all-MiniLM-L6-v2 with model2vec, for the benchmarks.

Not shipped: it needs the ``neural`` extra (the packaged MiniLM weights) and
``model2vec[distill]``. The benchmarks use it to compare how the vector index and the product's
matching behave with a learned model's vectors against the shipped hashing embedder's
(``python -m benchmarks.vectors --kind static``, ``python -m benchmarks.matching_quality
--ann-embedder static``). Distilling takes minutes; the model is kept in a folder and re-used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class StaticModelEmbedder:
    """The ``Embedder`` port over a model2vec static model: mean of token vectors, L2-normalised."""

    def __init__(self, dims: int = 256, folder: Path | None = None) -> None:
        """Load the ``dims``-dimension model from ``folder``, distilling it there when absent."""
        from model2vec import StaticModel  # noqa: PLC0415 - optional
        from model2vec.distill import distill  # noqa: PLC0415

        from jobraker_adapters.embedders.minilm import packaged_model_path  # noqa: PLC0415

        where = (folder or Path(tempfile.mkdtemp(prefix="jobraker-m2v-"))) / f"m2v-{dims}"
        if not (where / "model.safetensors").exists():
            distill(model_name=str(packaged_model_path()), pca_dims=dims).save_pretrained(
                str(where)
            )
        self._model = StaticModel.from_pretrained(str(where))
        self._dims = dims

    @property
    def model_id(self) -> str:
        """The distilled model and its size."""
        return f"m2v-minilm-l6-v2:{self._dims}"

    @property
    def dimensions(self) -> int:
        """The PCA size the model was distilled to."""
        return self._dims

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' unit vectors as float32 rows."""
        rows = np.asarray(self._model.encode(list(texts), batch_size=1024), dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """The port's call: one unit vector per text, in order."""
        if not texts:
            return []
        return [tuple(float(x) for x in row) for row in self.matrix(texts)]
