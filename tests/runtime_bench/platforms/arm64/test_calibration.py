"""cloformer-bench arm64-calibrate and the committed calibrations: a small real calibration on the
emulated Cortex-A76 (three nets at their published sizes) reproduces the committed counts, and the
calibration files are checked before any use."""
from __future__ import annotations

import json
import shutil

import pytest

from cloformer.export.api import UsageError
from cloformer.runtime_bench.cli import main
from cloformer.runtime_bench.platforms.arm64 import calibration
from cloformer.runtime_bench.platforms.arm64.calibration import fit

arm64 = pytest.mark.arm64
SMALL_NETS = ("blazeface", "shufflenet_v2", "squeezenet")  # the three cheapest to emulate: about 100 M instructions


def committed(cpu: str = "cortex-a76") -> dict:
    return json.loads(calibration.committed(cpu).read_text())


@arm64
@pytest.mark.parametrize("nets", [
    pytest.param(SMALL_NETS, id="three-nets"),
    # the committed file remade: 17 nets, about 20 minutes
    pytest.param(None, id="all-nets", marks=pytest.mark.slow),
])
def test_a_calibration_reproduces_the_committed_counts(nets, tmp_path, capsys):
    out = tmp_path / "calibration.json"
    code = main(["arm64-calibrate", "--cpu", "cortex-a76", *(["--nets", ",".join(nets)] if nets else []),
                 "--output", str(out)])
    said = capsys.readouterr().out
    assert code == 0, said
    made = calibration.load(out, "cortex-a76").record
    full = committed()
    assert list(made["nets"]) == list(nets or full["nets"]) and made["reference"]["key"] == "raspberry-pi-5"
    for name, net in made["nets"].items():
        # the same net, runtime and emulated core count the same (to what allocators move between runs)
        for c in fit.CLASSES:
            assert net["counts"][c] == pytest.approx(full["nets"][name]["counts"][c], rel=0.01), (name, c)
        assert net["features"] == full["nets"][name]["features"]
        assert net["published_ms"] == calibration.published()["references"]["raspberry-pi-5"]["ms"][name]
        assert net["estimate_ms"] == pytest.approx(net["published_ms"] * (1 + net["error"]), rel=1e-3)
    if nets is None:
        assert made["model"] == full["model"] and made["costs"] == pytest.approx(full["costs"], rel=0.02)
    assert made["command"] == ("cloformer-bench arm64-calibrate --cpu cortex-a76 --reference raspberry-pi-5 "
                               + (f"--nets {','.join(nets)} " if nets else "") + f"--output {out}")
    assert "leave-one-out median error" in said and str(out) in said


@pytest.mark.parametrize("cpu", ["cortex-a76", "cortex-a72"])
def test_the_committed_calibrations_meet_their_own_schema_and_say_how_they_were_made(cpu):
    c = calibration.load(calibration.committed(cpu), cpu)
    r = c.record
    assert r["command"].startswith(f"cloformer-bench arm64-calibrate --cpu {cpu} ")
    assert len(r["nets"]) >= 14 and "vision_transformer" in r["nets"]
    low, high = r["band"]
    assert low < 1 < high
    # the file's leave-one-out is what fit.py computes from its counts: nothing in it was typed in
    counts = {n: {**net["counts"], **net["features"]} for n, net in r["nets"].items()}
    ms = {n: net["published_ms"] for n, net in r["nets"].items()}
    errors = fit.leave_one_out(r["model"], counts, ms)
    assert fit.summary(errors)["median_abs"] == pytest.approx(r["leave_one_out"]["median_abs"], abs=1e-6)
    assert {n: round(e, 5) for n, e in errors.items()} == {n: net["error"] for n, net in r["nets"].items()}
    assert r["model"] == fit.choose(r["candidates"])


def test_an_estimate_is_in_milliseconds_with_a_band_and_says_whether_it_transfers():
    c = calibration.load(calibration.committed("cortex-a76"), "cortex-a76")
    net = c.record["nets"]["resnet18"]
    terms = {**net["counts"], **net["features"]}
    ncnn, other = c.estimate("ncnn", terms), c.estimate("executorch", terms)
    assert ncnn["ms"] == pytest.approx(fit.Fit(c.record["model"], c.record["costs"]).predict(terms), abs=1e-3)
    assert ncnn["low_ms"] < ncnn["ms"] < ncnn["high_ms"]
    assert ncnn["reference"] == "Raspberry Pi 5 (Cortex-A76 at 2.4 GHz), one thread"
    assert ncnn["transfer"].startswith("measured") and other["transfer"].startswith("unverified")


def test_a_calibration_from_another_cpu_or_damaged_is_refused_in_one_line(tmp_path):
    a72 = tmp_path / "a72.json"
    shutil.copy(calibration.committed("cortex-a72"), a72)
    with pytest.raises(UsageError, match=r"^calibration .*a72.json was made on emulated cortex-a72, not --cpu "
                                         r"cortex-a76: its instruction costs are that core's"):
        calibration.load(a72, "cortex-a76")
    cut = tmp_path / "cut.json"
    cut.write_text(a72.read_text()[:500])
    with pytest.raises(UsageError, match=r"^calibration .*cut.json cannot be read \(.*\); remake it"):
        calibration.load(cut, "cortex-a72")
    edited = tmp_path / "edited.json"
    record = json.loads(a72.read_text())
    record["costs"]["simd"] = -1
    edited.write_text(json.dumps(record))
    with pytest.raises(UsageError, match=r"^calibration .*edited.json is damaged \(field costs.simd: "):
        calibration.load(edited, "cortex-a72")
