"""Pieces that two or more targets share and none owns: the ONNX graph (onnx, qnn) and Apple's
Core ML settings (coreml, executorch's coreml delegate). Modules here never import a target, and
the registry does not load them as targets."""
