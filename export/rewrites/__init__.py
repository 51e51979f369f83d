"""Deploy-form rewrites: small named passes over the eager model, each replacing a module or
a method with a numerically equivalent form that mobile backends run on their fast path.

A pass takes the model (already a private copy) and returns how many places it rewrote.
Targets list the passes they take, in order (`Target.rewrites`); `apply` runs them on a copy.
"""
from __future__ import annotations

from .base import APPROXIMATE, PASSES, REMOVES, Pass, apply, override, replace_modules, rewrite

# Each pass registers itself with @rewrite; import order is the canonical order (placement's fixes).
from . import fold_batchnorm, groupnorm_as_mean, fold_norm_affine, local_qkv_slices  # noqa: E402,F401,I001
from . import global_attention_bmm, global_attention_conv, separate_qkv, split_depthwise  # noqa: E402,F401,I001
from . import means_as_avg_pool, silu_as_sigmoid, gelu_as_sigmoid  # noqa: E402,F401,I001

__all__ = ["APPROXIMATE", "PASSES", "REMOVES", "Pass", "apply", "override", "replace_modules", "rewrite"]
