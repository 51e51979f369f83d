"""What the user asked for, validated before any model is built or traced."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..models import DEFAULT_MODEL, ModelError, check_input_size, get_config
from .errors import UsageError
from .manifest import manifest_path
from .targets import TARGETS, Target


@dataclass
class ExportRequest:
    model: str = DEFAULT_MODEL
    targets: tuple[str, ...] = ("coreml",)
    height: int = 224
    width: int = 224
    batch: int = 1
    num_classes: int = 1000
    checkpoint: Path | None = None
    seed: int = 0
    output: Path = Path("exports")
    overwrite: bool = False
    quiet: bool = False
    precision: str = "fp32"  # fp32 | fp16 | int8: what each means is the target's (Target.precisions)
    calibration_dir: Path | None = None  # images for int8 calibration and fidelity (default: packaged photos)
    min_sqnr: float | None = None  # fail a reduced-precision export whose fidelity is below this (dB)
    rewrite: bool = True  # apply each target's deploy-form passes
    diagnose: bool = False  # print the per-module table after each parity check
    # Target options (see export/options.py); `explicit` holds those the user set.
    opset: int = 18
    backend: str = "xnnpack"
    compute_units: str = "all"
    deployment_target: str = "iOS17"
    compress: str = "none"
    quantization: str = "static"
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def selected(self) -> list[Target]:
        return [TARGETS[name] for name in self.targets]

    def artifact(self, target: Target) -> Path:
        batch = f"_b{self.batch}" if self.batch != 1 else ""
        naive = "" if self.rewrite else "_naive"
        name = f"{self.model}_{self.height}x{self.width}{batch}_{target.tag(self)}{naive}_{self.precision}{target.suffix}"
        return self.output / name

    def validate(self) -> None:
        """Every check that needs no model: names, sizes, flags, paths. Raises `UsageError`."""
        try:
            get_config(self.model)
            check_input_size(self.height, self.width)
        except ModelError as e:
            raise UsageError(str(e)) from None
        if self.batch < 1:
            raise UsageError(f"--batch must be at least 1, got {self.batch}")
        if self.num_classes < 1:
            raise UsageError(f"--num-classes must be at least 1, got {self.num_classes}")
        for target in self.selected:
            if self.precision not in target.precisions(self):
                raise UsageError(f"--precision {self.precision} is not available for --target {target.tag(self)}: "
                                 f"{target.precision_note(self)}")
            target.validate(self)
        for flag, value in (("--calibration-dir", self.calibration_dir), ("--min-sqnr", self.min_sqnr)):
            if value is not None and self.precision == "fp32":
                raise UsageError(f"{flag} applies to --precision fp16 or int8 (fidelity is measured against fp32)")
        if self.calibration_dir is not None and not Path(self.calibration_dir).is_dir():
            raise UsageError(f"--calibration-dir {self.calibration_dir} is not a directory; pass a directory of images")
        taken = {opt.dest for target in self.selected for opt in target.takes(self)}
        for dest in sorted(self.explicit - taken):
            flag = "--" + dest.replace("_", "-")
            users = {t.name: o for t in TARGETS.values() for o in t.options if o.dest == dest}
            needs = next(iter(users.values())).needs
            raise UsageError(f"{flag} does not apply to --target {','.join(self.targets)}"
                             f"{' with --backend ' + self.backend if 'executorch' in self.targets else ''}; "
                             f"it applies to --target {' or '.join(users)}{' with ' + needs if needs else ''}")
        if self.checkpoint is not None and not Path(self.checkpoint).is_file():
            raise UsageError(f"checkpoint {self.checkpoint} does not exist or is not a file; "
                             "pass the path of a .pth state_dict")
        self._check_output()

    def _check_output(self) -> None:
        """The directory itself is created only when there is something to write into it."""
        existing = self.output
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            what = f"--output {self.output} is a file" if existing == self.output else f"{existing} is a file"
            raise UsageError(f"{what}, not a directory; pass a directory for --output")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise UsageError(f"--output {self.output} is not writable ({existing}); pass a writable directory")
        if self.overwrite:
            return
        for target in self.selected:
            for path in (self.artifact(target), manifest_path(self.artifact(target))):
                if path.exists():
                    raise UsageError(f"{path} already exists; pass --overwrite to replace it or choose another --output")
