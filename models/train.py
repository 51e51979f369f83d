"""Train CloFormer on Fashion-MNIST (Debian's dataset-fashion-mnist), seeded, on the CPU.

The grey images go to RGB through the model's own preprocessing (models/preprocess.py, the one the
manifest documents), so evaluation and the apps feed the trained model exactly as it was trained.
Writes a plain state_dict (fp16 to halve the committed file; `--checkpoint` loads it into fp32),
its labels one per line, and a JSON of how it was trained and what it scored.

    python -m cloformer.models.train --output models/weights/cloformer_xxs_fashion_mnist.pth
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from . import fashion_mnist
from .preprocess import preprocess
from .errors import ModelError
from .registry import DEFAULT_MODEL, check_input_size, create_model


def _tensors(split: str, size: int, limit: int | None, data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = fashion_mnist.load(split, data)
    images, labels = images[:limit], labels[:limit]
    x = torch.cat([preprocess(images[i:i + 2048], size, size) for i in range(0, len(images), 2048)])
    return x, torch.from_numpy(labels.astype("int64"))


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> float:
    model.eval()
    hits = sum(int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum()) for i in range(0, len(x), batch))
    return hits / len(x)


def train(model_name: str, size: int, epochs: int, batch: int, lr: float, seed: int,
          limit: int | None = None, data: Path = fashion_mnist.DATA_DIR, say=print) -> tuple[torch.nn.Module, dict]:
    """Train from PyTorch's seeded random init; return the model and the facts of the run."""
    check_input_size(size, size)
    start = time.perf_counter()
    x, y = _tensors("train", size, limit, data)
    test_x, test_y = _tensors("test", size, limit, data)
    model = create_model(model_name, num_classes=len(fashion_mnist.LABELS), seed=seed).train()
    # AdamW with warm-up then cosine decay and label smoothing: the usual recipe for a small
    # vision transformer, which trains unstably from random init without the warm-up.
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps = epochs * (len(x) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for step in range(len(x) // batch):
            idx = order[step * batch:(step + 1) * batch]
            flip = torch.rand(len(idx), generator=generator) < 0.5  # clothes are left-right symmetric
            inputs = torch.where(flip.view(-1, 1, 1, 1), x[idx].flip(3), x[idx])
            loss = F.cross_entropy(model(inputs), y[idx], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % 50 == 0:
                say(f"epoch {epoch + 1}/{epochs} step {step}/{len(x) // batch} loss {loss.item():.3f} "
                    f"({time.perf_counter() - start:.0f} s)")
        top1 = accuracy(model, test_x, test_y)
        say(f"epoch {epoch + 1}: test top-1 {top1:.2%}")
    facts = {"model": model_name, "data": "Fashion-MNIST (Debian dataset-fashion-mnist)", "train_images": len(x),
             "test_images": len(test_x), "input_size": size, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
             "test_top1_fp32": top1, "train_seconds": round(time.perf_counter() - start),
             "torch": torch.__version__, "threads": torch.get_num_threads()}
    model.half()  # the committed weights: fp16, loaded back into fp32
    facts["test_top1_fp16_weights"] = accuracy(model.float(), test_x, test_y)
    return model.eval(), facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train CloFormer on Fashion-MNIST on the CPU.")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--size", type=int, default=32, help="input side, a multiple of 32")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=fashion_mnist.DATA_DIR, help="the IDX files' folder")
    parser.add_argument("--limit", type=int, help="only the first N images of each split (a smoke run)")
    parser.add_argument("--output", type=Path, required=True, help="the .pth to write (labels and facts beside it)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    try:
        model, facts = train(args.model, args.size, args.epochs, args.batch, args.lr, args.seed, args.limit, args.data)
    except (FileNotFoundError, ValueError, ModelError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}, args.output)
    args.output.with_suffix(".labels.txt").write_text("\n".join(fashion_mnist.LABELS) + "\n")
    args.output.with_suffix(".json").write_text(json.dumps(facts, indent=1) + "\n")
    print(f"trained in {facts['train_seconds']} s: test top-1 {facts['test_top1_fp32']:.2%} "
          f"({facts['test_top1_fp16_weights']:.2%} with the fp16 weights) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
