"""What an instruction count cannot see: memory traffic that misses the core's caches. Counted once
from the eager model on the host, the same way for the calibration nets and for any artifact, so the
runtime does not matter:
- weights: parameter elements, read from memory once per inference (VGG-16's and AlexNet's large
  fully connected layers stream 60-138 M of them);
- spill: elements of the activations larger than the reference core's L2 cache (in the runtime's
  storage type), which go to L3 or DRAM and back (MobileNetV2's 112x112x96 expansions are 2.4 MB in
  fp16; MnasNet, with as many instructions, expands by 3 there and runs 21 % faster on a Pi 5).
Views and in-place ops make no new activation, and neither do the elementwise ops every mobile
runtime fuses into the convolution before them (batch norm, activations)."""
from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode

FEATURES = ("weights", "spill")

# Fused into the producing convolution or matmul, or run in place, by ncnn, XNNPACK, MLAS and MNN alike.
_FUSED = {"_native_batch_norm_legit_no_training", "native_batch_norm", "batch_norm", "relu", "relu6", "hardtanh",
          "clamp", "sigmoid", "hardsigmoid", "hardswish", "silu", "gelu", "tanh", "leaky_relu"}


class _Activations(TorchDispatchMode):
    """The element count of every new activation tensor the model makes."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket.__name__.rstrip("_") in _FUSED:
            return out
        inputs = {t.untyped_storage().data_ptr() for t in torch.utils._pytree.tree_leaves((args, kwargs))
                  if isinstance(t, torch.Tensor)}
        for t in torch.utils._pytree.tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in inputs:
                self.sizes.append(t.numel())
        return out


def measure(model: torch.nn.Module, example: torch.Tensor, spill_elements: int) -> dict[str, int]:
    """The model's weights and spilled activation elements at the input `example`'s size."""
    recorder = _Activations()
    with torch.no_grad(), recorder:
        model.eval()(example)
    return {"weights": sum(p.numel() for p in model.parameters()),
            "spill": sum(n for n in recorder.sizes if n > spill_elements)}
