"""What the user asked for, validated before any model is built or traced."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..models import DEFAULT_MODEL, ModelError, check_input_size, check_model
from .arguments import folder_problem
from .errors import UsageError
from .manifest import manifest_path
from .options import Options
from .targets import TARGETS, Target, flags, users


MAX_LABELS_BYTES = 1 << 20  # 1 MiB: 1000 classes of 1,000 bytes each


def parse_size(text: str) -> tuple[int, int]:
    """`224` or `256x320` -> (height, width)."""
    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2):
        raise UsageError(f"--input-size {text!r} is not N or HxW (e.g. 224 or 256x320)")
    return (values[0], values[-1])


@dataclass
class ExportRequest:
    model: str = DEFAULT_MODEL
    targets: tuple[str, ...] = ()  # names in the target registry (the CLI picks the default)
    height: int = 224
    width: int = 224
    batch: int = 1
    num_classes: int = 1000
    checkpoint: Path | None = None
    labels: Path | None = None  # class names, one per line, written to the manifest for the apps
    seed: int = 0
    output: Path = Path("exports")
    overwrite: bool = False
    quiet: bool = False
    precision: str = "fp32"  # fp32 | fp16 | int8: what each means is the target's (Target.precisions)
    calibration_dir: Path | None = None  # images for int8 calibration and fidelity (default: packaged photos)
    min_sqnr: float | None = None  # fail a reduced-precision export whose fidelity is below this (dB)
    rewrite: bool = True  # apply each target's deploy-form passes
    diagnose: bool = False  # print the per-module table after each parity check
    # Each target's own options (target name -> its Options; its defaults where absent), and the
    # option fields the user set explicitly (a flag no selected target takes is an error).
    options: Mapping[str, Options] = field(default_factory=dict)
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
            check_model(self.model)
            check_input_size(self.height, self.width)
        except ModelError as e:
            raise UsageError(str(e)) from None
        if not self.targets:
            raise UsageError(f"no target selected; choose one or more of: {', '.join(TARGETS)}")
        unknown = [name for name in self.targets if name not in TARGETS]
        if unknown:
            raise UsageError(f"unknown target {unknown[0]!r}; choose one of: {', '.join(TARGETS)}")
        if self.batch < 1:
            raise UsageError(f"--batch must be at least 1, got {self.batch}")
        if self.num_classes < 1:
            raise UsageError(f"--num-classes must be at least 1, got {self.num_classes}")
        for target in self.selected:
            target.settings(self).validate()
            if self.precision not in target.precisions(self):
                raise UsageError(f"--precision {self.precision} is not available for --target {target.name}"
                                 f"{target.settings(self).context()}: {target.precision_note(self)}")
            target.validate(self)
        for flag, value in (("--calibration-dir", self.calibration_dir), ("--min-sqnr", self.min_sqnr)):
            if value is not None and self.precision == "fp32":
                raise UsageError(f"{flag} applies to --precision fp16 or int8 (fidelity is measured against fp32)")
        if self.calibration_dir is not None and not Path(self.calibration_dir).is_dir():
            raise UsageError(f"--calibration-dir {self.calibration_dir} is not a directory; pass a directory of images")
        self._check_flags()
        if self.checkpoint is not None and not Path(self.checkpoint).is_file():
            raise UsageError(f"checkpoint {self.checkpoint} does not exist or is not a file; "
                             "pass the path of a .pth state_dict")
        if self.labels is not None:
            self.label_names()
        self._check_output()

    def label_names(self) -> list[str] | None:
        """The --labels file's class names, one per line in class order, as many as classes: none
        blank (a trailing newline aside), none twice (the apps and cloformer-eval map names to
        classes), the file at most MAX_LABELS_BYTES."""
        if self.labels is None:
            return None
        def refuse(problem: str) -> UsageError:
            return UsageError(f"--labels {self.labels}: {problem}; pass a text file, one class name per line")
        try:
            size = Path(self.labels).stat().st_size
            if size > MAX_LABELS_BYTES:
                raise refuse(f"{size / 2**20:.1f} MiB is more than a labels file holds ({MAX_LABELS_BYTES // 2**20} MiB at "
                             "most)")
            lines = Path(self.labels).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise refuse(f"cannot read it ({e.strerror if isinstance(e, OSError) else 'not UTF-8 text'})") from None
        while lines and not lines[-1].strip():
            lines.pop()
        names = [line.strip() for line in lines]
        if "" in names:
            raise refuse(f"line {names.index('') + 1} is blank (each line names the class of its index)")
        seen: dict[str, int] = {}
        for number, name in enumerate(names, 1):
            if name in seen:
                raise refuse(f"{name!r} is on lines {seen[name]} and {number} (each class needs its own name)")
            seen[name] = number
        if len(names) != self.num_classes:
            raise UsageError(f"--labels {self.labels} names {len(names)} classes but the model has {self.num_classes}; "
                             f"pass one name per class (--num-classes {self.num_classes})")
        return names

    def _check_flags(self) -> None:
        """A target option set explicitly that no selected target takes with these settings."""
        taken = {dest for target in self.selected for dest in target.settings(self).takes(self.precision)}
        for dest in sorted(self.explicit - taken):
            flag = next(f for f in flags().values() if f.dest == dest)
            context = "".join(target.settings(self).context() for target in self.selected)
            raise UsageError(f"{flag.flag} does not apply to --target {','.join(self.targets)}{context}; "
                             f"it applies to --target {' or '.join(users(dest))}"
                             f"{' with ' + flag.needs if flag.needs else ''}")

    def _check_output(self) -> None:
        """The directory itself is created only when there is something to write into it."""
        problem = folder_problem(Path(self.output))
        if problem:
            raise UsageError(f"--output {self.output}: {problem}")
        if self.overwrite:
            return
        for target in self.selected:
            for path in (self.artifact(target), manifest_path(self.artifact(target))):
                if path.exists():
                    raise UsageError(f"{path} already exists; pass --overwrite to replace it or choose another --output")
