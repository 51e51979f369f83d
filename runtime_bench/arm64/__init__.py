"""`cloformer-bench arm64`: artifacts on ARM64 kernels under qemu-user (no phone needed), their
outputs checked, their guest instructions counted. userland.py prepares the emulated machine,
runners.py runs a guest, bench.py makes the results."""
