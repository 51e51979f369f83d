"""The floor: the fewest instructions a model's multiply-accumulates could take on one NEON core, its
MACs divided by the MACs one instruction does at the artifact's precision. A count's distance to it
says how much of the run is arithmetic and how much is everything else (layout, casts, overhead)."""
from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

# MACs per 128-bit instruction: FMLA on 4 fp32 or 8 fp16 lanes; SDOT on 4 lanes of 4 int8 products
# (ARMv8.2 dot product, which every Cortex-A76-class core has).
LANES = {"fp32": 4, "fp16": 8, "int8": 16}


def macs(model: torch.nn.Module, example: torch.Tensor) -> int:
    """Multiply-accumulates of one call (the whole batch), as torch's own FLOP counter counts them
    (convolutions, matmuls, attention; 2 FLOPs per MAC)."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model.eval()(example)
    return counter.get_total_flops() // 2


def floor(model: torch.nn.Module, example: torch.Tensor, precision: str, instructions: int) -> dict:
    """The result's `instructions.floor`: MACs, lanes, the floor and the count's distance to it."""
    found = macs(model, example)
    least = -(-found // LANES[precision])
    return {"macs": found, "lanes": LANES[precision], "instructions": least,
            "ratio": round(instructions / least, 3)}
