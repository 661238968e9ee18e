"""ReID classification exports (ONNX) giving the embedding their checkpoint gives.

An Ultralytics classification export (``yolo export model=reid.pt format=onnx``) ends in the
``Classify`` head, so the graph's one output is the class probabilities. tracklake's
embedding of a ``.pt`` ReID checkpoint (as Ultralytics' ``YOLO.embed``, ``reid``) is the
head's input, the second-to-last layer's ``(B, C, h, w)`` output, averaged over space. The
export still computes that tensor: its graph is read with ``onnx``, the tensor found as the
one the last layer's nodes (named ``/model.<i>/...`` by torch's exporter) read from outside
it, and a ``GlobalAveragePool`` and ``Flatten`` of it become the graph's output, ``(B, C)``.
The crop size is the export's ``imgsz`` metadata, the checkpoint's training size as
``yolo export`` writes it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import torch

from tracklake.detection.errors import ModelError
from tracklake.detection.onnx_model import OnnxNetwork, open_session, ultralytics_metadata
from tracklake.messages import first_line

_LAYER = re.compile(r"/model\.(\d+)/")
EMBEDDINGS = "embeddings"  # the output added to the graph


def load_onnx_reid(path: Path) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """The ReID export at ``path`` as a network from ``(B, 3, s, s)`` float32 crops in
    ``[0, 1]`` to ``(B, C)`` embeddings, run by ONNX Runtime on the CPU, and ``s``.

    Raises:
        ModelError: onnx is missing, the file is not an ONNX model, lacks Ultralytics'
            metadata, is not a classification export, or its layers cannot be told apart.
    """
    try:
        import onnx
    except ImportError as error:
        raise ModelError(
            f"{path}: running a ReID export needs onnx (pip install 'tracklake[onnx]')"
        ) from error
    try:
        model = onnx.load(str(path))
    except Exception as error:  # protobuf's DecodeError and onnx's own
        raise ModelError(f"{path} is not an ONNX model: {first_line(error)}") from None
    metadata = ultralytics_metadata(path, {p.key: p.value for p in model.metadata_props})
    if metadata["task"] != "classify":
        raise ModelError(
            f"{path} is a {metadata['task']!r} export; a ReID model is a classification model"
        )
    height, width = ast.literal_eval(metadata["imgsz"])
    if height != width:
        raise ModelError(f"{path} takes {height}x{width} inputs; ReID crops are square")
    graph = model.graph
    pooled = f"{EMBEDDINGS}/pooled"
    output_type = graph.output[0].type.tensor_type.elem_type
    graph.node.extend(
        [
            onnx.helper.make_node("GlobalAveragePool", [_head_input(path, graph)], [pooled]),
            onnx.helper.make_node("Flatten", [pooled], [EMBEDDINGS], axis=1),
        ]
    )
    del graph.output[:]
    graph.output.append(onnx.helper.make_tensor_value_info(EMBEDDINGS, output_type, None))
    network = OnnxNetwork(open_session(path, model.SerializeToString()))
    # One graph output: the network returns one tensor.
    return cast(Callable[[torch.Tensor], torch.Tensor], network), int(height)


def _head_input(path: Path, graph: Any) -> str:
    """The name of the one tensor ``graph`` (an ``onnx.GraphProto``)'s last layer, its head,
    reads from outside it."""
    layers = {node.name: int(found[1]) for node in graph.node if (found := _LAYER.match(node.name))}
    head = max(layers.values(), default=None)
    nodes = [node for node in graph.node if head is not None and layers.get(node.name) == head]
    inside = {name for node in nodes for name in node.output}
    inside |= {initializer.name for initializer in graph.initializer}
    inputs = {name for node in nodes for name in node.input if name and name not in inside}
    if len(inputs) != 1:
        raise ModelError(
            f"{path}: cannot find the input of its classification head (the graph's layers are "
            "not named /model.<i>/ as torch's exporter names them): export the ReID checkpoint "
            "with `yolo export format=onnx`"
        )
    return inputs.pop()
