"""What runs a backbone's network: torch, or ONNX Runtime on CPU (the default there).

Both give, from one forward pass over a preprocessed batch, the pooled features (the inputs
of the final linear layer) and the logits. On CPU, ONNX Runtime ran the default backbone 2.2
times as fast as torch with class probabilities within 2e-6 and the same top-5 hashtags on
48 of 48 phone photos (docs/benchmarks.md). Its graph is exported from the torch network once
(``torch.onnx.export``, about a second) and kept in the cache's ``onnx`` folder, named by the
backbone and its weights' digest and written atomically; a file ONNX Runtime cannot load is
exported again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Optional, Protocol

import numpy as np
import torch

from ..atomic import atomic_write
from ..cache import resolve_cache_dir
from ..errors import ModelError
from .backbone_specs import BACKBONE_SPECS

logger = logging.getLogger(__name__)

CLASSIFIER_ATTRIBUTES = tuple(dict.fromkeys(spec.classifier for spec in BACKBONE_SPECS.values()))
"""The attribute names of the backbones' final linear layers."""


def final_layer(model: torch.nn.Module) -> tuple[str, torch.nn.Linear]:
    """The name of the model's final linear layer and the layer itself."""
    for name in CLASSIFIER_ATTRIBUTES:
        layer = getattr(model, name, None)
        if isinstance(layer, torch.nn.Linear):
            return name, layer
    raise ModelError(f"{type(model).__name__}: no final linear layer to replace")


class Network(Protocol):
    """A backbone's network: a preprocessed NCHW batch in, its pooled features and logits out."""

    def __call__(self, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]: ...


class FeaturesAndLogits(torch.nn.Module):
    """A classifier that also returns its final layer's inputs: ``(features, logits)``, from
    whatever final layer it has when run (a head may be replaced in place)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        captured = []
        head = final_layer(self.model)[1]
        hook = head.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
        try:
            logits = self.model(batch)
        finally:
            hook.remove()
        return captured[0], logits


class TorchNetwork:
    """The torch network itself, fed channels last: the layout it runs fastest in on CPU (40
    photos/s against 35 in torch's default one on 2 threads, docs/benchmarks.md)."""

    def __init__(self, model: torch.nn.Module, device: str = "cpu") -> None:
        self.model = model.eval().to(device, memory_format=torch.channels_last)
        self.device = device
        self._outputs = FeaturesAndLogits(self.model)

    @torch.inference_mode()
    def __call__(self, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        features, logits = self._outputs(batch.to(self.device, memory_format=torch.channels_last))
        return features.float().cpu().numpy(), logits.float().cpu().numpy()


class OnnxNetwork:
    """The network exported to ONNX and run by ONNX Runtime's CPU provider on ``threads``
    threads that sleep when idle, so they leave the other lane its core, and without
    its memory arena, which held on to 36 MiB more at the peak of 1,000 photos for 3% more
    speed."""

    def __init__(self, graph: bytes, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        features, logits = self.session.run(["features", "logits"], {"photos": batch.contiguous().numpy()})
        return features, logits


def exported_graph(model: torch.nn.Module, side: int) -> bytes:
    """``model`` as an ONNX graph with input ``photos`` (exported at ``side`` x ``side``, any
    batch and photo size) and outputs ``features`` and ``logits``."""
    graph = io.BytesIO()
    inputs = torch.zeros(1, 3, side, side)
    batch = {0: "batch"}
    with warnings.catch_warnings():  # the exporter's notes on constant folding and its own deprecation
        warnings.simplefilter("ignore")
        torch.onnx.export(FeaturesAndLogits(model).eval(), (inputs,), graph, input_names=["photos"],
                          output_names=["features", "logits"], dynamo=False,
                          dynamic_axes={"photos": {0: "batch", 2: "height", 3: "width"},
                                        "features": batch, "logits": batch})
    return graph.getvalue()


def onnx_network(model: torch.nn.Module, name: str, weights: Path, side: int, threads: int,
                 cache_dir: Optional[os.PathLike] = None) -> OnnxNetwork:
    """``model`` (the backbone ``name`` with the weights file ``weights``, fed ``side`` x
    ``side`` photos) on ONNX Runtime, from the cached graph, exported and cached first when
    it is missing or unreadable."""
    digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest()[:16]
    path = resolve_cache_dir(cache_dir) / "onnx" / f"{name}-{digest}.onnx"
    try:
        return OnnxNetwork(path.read_bytes(), threads)
    except Exception as error:  # missing, a directory, or not a graph (ONNX Runtime's errors are bare Exceptions)
        if path.exists():
            logger.warning("%s cannot be loaded (%s); exporting it again", path, error)
    graph = exported_graph(model, side)
    try:
        if path.is_dir():
            shutil.rmtree(path)
        with atomic_write(path) as stream:
            stream.write(graph)
    except OSError:
        pass  # a read-only cache only costs exporting again
    return OnnxNetwork(graph, threads)
