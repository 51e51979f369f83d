"""docs/adding-a-platform.md, kept honest: a toy platform, registered from this test only, gets its
`cloformer-bench` subcommand, takes part in `all` in its order, and writes a result that `compare`
merges, without a line of generic code knowing it."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cloformer.export.api import UsageError
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import build_parser, main
from cloformer.runtime_bench.platforms import PLATFORMS, AllRun, Platform
from cloformer.runtime_bench.platforms.base import register

from ... import test_layers
from ...conftest import make_result


class ToyPlatform(Platform):
    """Writes the result a device would have sent (its `kind` is one the schema already has)."""
    name = "toybench"
    kind = "host"
    summary = "a platform registered from a test"
    order = 5  # before every other in `all`
    in_all = True
    steps: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--latency", type=float, default=10.0)
        parser.add_argument("--output", type=Path, required=True)

    def run(self, args: argparse.Namespace) -> None:
        if args.latency <= 0:
            raise UsageError(f"--latency must be positive, got {args.latency}")
        results.write(make_result(latencies=[args.latency] * 50), args.output)

    def all_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--toy-skip", action="store_true")

    def all_step(self, args: argparse.Namespace, run: AllRun) -> None:
        self.steps.append("all")
        if not args.toy_skip:
            run.written.append(results.write(make_result(latencies=[12.0] * 50), args.output))


@pytest.fixture
def toy():
    register(ToyPlatform)
    yield PLATFORMS["toybench"]
    del PLATFORMS["toybench"]


def test_it_gets_its_subcommand_and_its_result_is_compared(toy, tmp_path, capsys):
    assert "toybench" in build_parser().format_help()
    assert main(["toybench", "--latency", "7", "--output", str(tmp_path / "r")]) == 0
    assert main(["toybench", "--latency", "-1", "--output", str(tmp_path / "r")]) == 2
    assert "--latency must be positive, got -1.0" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "r"), "--output", str(tmp_path / "cmp")]) == 0
    assert "| 7.00 |" in capsys.readouterr().out


def test_it_takes_part_in_all_first(toy, monkeypatch, tmp_path, capsys):
    calls = []
    for name, platform in list(PLATFORMS.items()):  # the others stand still: the toy's step and order are the point
        if name != "toybench":
            monkeypatch.setattr(platform, "all_step", lambda args, run, name=name: calls.append(name))
    assert main(["all", "--output", str(tmp_path / "r"), "--comparison", str(tmp_path / "cmp")]) == 0
    assert toy.steps == ["all"] and calls == [p.name for p in PLATFORMS.values() if p.in_all and p.name != "toybench"]
    assert "| 12.00 |" in capsys.readouterr().out


def test_the_layering_test_takes_its_name(toy):
    assert "toybench" in test_layers.member_words()
    assert test_layers.naming(test_layers.member_words()) == []
