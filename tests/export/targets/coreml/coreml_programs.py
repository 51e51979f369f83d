"""Small ML programs converted the way the Core ML target converts (torch.export -> coremltools)."""
import warnings

import coremltools as ct
import torch
import torch.nn as nn


class Fn(nn.Module):
    """A function of x (and of the modules given, so their weights are part of the program)."""

    def __init__(self, fn, *modules: nn.Module) -> None:
        super().__init__()
        self.fn, self.layers = fn, nn.ModuleList(modules)

    def forward(self, x):
        return self.fn(x, *self.layers)


def convert(module: nn.Module, shape, precision=ct.precision.FLOAT32):
    x = torch.randn(shape)
    program = torch.export.export(module.eval(), (x,)).run_decompositions({})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ct.convert(program, convert_to="mlprogram", inputs=[ct.TensorType(name="input", shape=shape)],
                          minimum_deployment_target=ct.target.iOS17, compute_precision=precision,
                          skip_model_load=True)
