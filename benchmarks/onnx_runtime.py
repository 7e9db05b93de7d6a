"""ONNX Runtime against torch for the default backbone's forward pass on CPU, side by side.

EfficientNet-Lite0 is exported with ``torch.onnx.export`` and run by ONNX Runtime's CPU
provider; both run the same preprocessed batches of 12-MP photos (made at run time as
``benchmarks/speed.py`` makes them), quiet and while another process keeps one core busy.
Reported: photos per second of each, the largest difference of the class probabilities, and
on how many photos the default tagger's top-5 hashtags are the same.

Exporting needs the ``onnx`` package, which needs protobuf >= 6.31 while mediapipe (the
``people`` extra) needs protobuf < 5, so run it in an environment without the people extra:

    pip install onnx onnxruntime
    python benchmarks/onnx_runtime.py --data ../shared/data --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import io
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from posts import write_section
from speed import busy, make_photos, rate
from zeroshot_tags import Tagger
from zeroshot_tags.images import load_image

BATCH = 16
HEADING = "## ONNX Runtime for the backbone"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--write", type=Path, help="append (or replace) this report's section in this file")
    arguments = parser.parse_args()
    import onnxruntime

    tagger = Tagger(custom_hashtags=False, people=False)
    model = tagger.backbone.model.eval()
    with tempfile.TemporaryDirectory() as folder:
        images = [load_image(path, tagger.max_pixels, tagger.min_side)
                  for path in make_photos(arguments.data, Path(folder), arguments.photos)]
    batches = [tagger.backbone.batch(images[start:start + BATCH]) for start in range(0, len(images), BATCH)]
    graph = io.BytesIO()
    torch.onnx.export(model, batches[0].contiguous(), graph, input_names=["photos"], output_names=["logits"],
                      dynamic_axes={"photos": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(graph.getvalue(), options, providers=["CPUExecutionProvider"])

    @torch.inference_mode()
    def with_torch() -> np.ndarray:
        return np.vstack([torch.softmax(model(batch), dim=1).numpy() for batch in batches])

    def with_onnx_runtime() -> np.ndarray:
        logits = np.vstack([session.run(None, {"photos": batch.contiguous().numpy()})[0] for batch in batches])
        return torch.softmax(torch.from_numpy(logits), dim=1).numpy()

    with_torch(), with_onnx_runtime()  # warm
    lines = [HEADING, "", f"The default backbone's forward pass alone on {len(images)} preprocessed 12-MP photos "
             f"(batches of {BATCH}, {torch.get_num_threads()} threads each), photos/s, in one run:", "",
             "| | torch (channels-last) | ONNX Runtime (CPU) | ratio |", "|---|---|---|---|"]
    for loaded in (False, True):
        with busy(loaded):
            torch_rate = max(rate(len(images), with_torch) for _ in range(3))
            onnx_rate = max(rate(len(images), with_onnx_runtime) for _ in range(3))
        lines.append(f"| {'one core busy' if loaded else 'quiet'} | {torch_rate:.1f} | {onnx_rate:.1f} | "
                     f"{onnx_rate / torch_rate:.2f} |")
    by_torch, by_onnx = with_torch(), with_onnx_runtime()
    same = sum([s.hashtag for s in tagger.rank(tagger.queries(a[None])[0], 5)]
               == [s.hashtag for s in tagger.rank(tagger.queries(b[None])[0], 5)] for a, b in zip(by_torch, by_onnx))
    lines += ["", f"Largest difference of a class probability: {np.abs(by_torch - by_onnx).max():.1e}; the "
              f"default tagger's top-5 hashtags are the same for {same} of {len(images)} photos. Not adopted "
              "yet: exporting needs the `onnx` package (protobuf >= 6.31), which cannot be installed beside "
              "mediapipe (the `people` extra, protobuf < 5); onnxruntime itself can.", "",
              f"Command (in an environment with onnx and onnxruntime, without the people extra): "
              f"`{shlex.join(['python', *sys.argv])}`", ""]
    report = "\n".join(lines)
    print(report)
    if arguments.write:
        write_section(arguments.write, report, HEADING)


if __name__ == "__main__":
    main()
