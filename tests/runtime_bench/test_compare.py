import csv
import json
import shutil

import pytest

from cloformer.export.api import UsageError
from cloformer.runtime_bench import result as results
from cloformer.runtime_bench.cli import main
from cloformer.runtime_bench.compare import COLUMNS, compare
from cloformer.runtime_bench.result import ResultError

from ..conftest import make_counted, make_result


def test_merged_table_csv_and_plots(result_files, tmp_path):
    out = tmp_path / "cmp"
    table, written = compare(result_files, out)
    assert [p.name for p in written] == ["table.md", "table.csv", "latency.png", "sustained.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written[2:])
    lines = table.splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |" and len(lines) == 2 + 4
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert len(rows) == 4 and (out / "table.md").read_text() == table
    # sorted by device name, then model, smallest first
    assert [(r["device"], r["model"], r["runtime"]) for r in rows] == [
        ("Pixel 8 (android)", "cloformer_xxs", "executorch"), ("Pixel 8 (android)", "cloformer_xxs", "executorch"),
        ("Pixel 8 (android)", "cloformer_s", "executorch"), ("ci-box (host)", "cloformer_xxs", "onnxruntime")]
    assert rows[2]["median_ms"] == "30.00" and rows[2]["n"] == "40" and rows[2]["valid"] == "yes"
    assert sorted(r["valid"][:2] for r in rows) == ["no", "ye", "ye", "ye"]  # the drifting sustained run
    assert {r["check"] for r in rows} == {"pass (121 dB, 2e-06)"}


def test_the_check_column_says_pass_fail_or_absent(tmp_path):
    made = [make_result(check=c, backend=b) for c, b in (("pass", "xnnpack"), ("fail", "portable"), ("absent", "coreml"))]
    compare([results.write(r, tmp_path / "results") for r in made], tmp_path / "out")
    rows = {r["backend"]: r for r in csv.DictReader((tmp_path / "out" / "table.csv").open())}
    assert rows["portable"]["check"] == "fail (20 dB, 0.3)" and rows["portable"]["median_ms"]
    assert rows["portable"]["valid"] == "no: outputs differ from the reference: astronaut max abs diff 0.31 > 0.0001"
    assert rows["coreml"]["check"] == "absent" and rows["xnnpack"]["check"].startswith("pass")


def test_one_bad_file_names_itself_and_nothing_is_written(result_files, tmp_path):
    broken = json.loads(result_files[0].read_text())
    del broken["latencies_ms"]
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(broken))
    with pytest.raises(ResultError, match=r"broken.json: field \(top level\): 'latencies_ms' is a required property"):
        compare(result_files + [bad], tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()


def test_reduced_precision_rows_say_how_much_faster_than_fp32(tmp_path):
    made = [make_result(latencies=[20.0] * 40), make_result(latencies=[8.0] * 40, precision="int8"),
            make_result(latencies=[8.0] * 40, precision="int8", backend="portable"),  # no fp32 portable run
            make_result(latencies=[25.0] * 40, precision="fp16", runtime="onnxruntime")]
    paths = [results.write(r, tmp_path / "results") for r in made]
    table, _ = compare(paths, tmp_path / "out")
    rows = csv.DictReader((tmp_path / "out" / "table.csv").open())
    speed = {(r["backend"], r["precision"]): r["vs_fp32"] for r in rows}
    assert speed == {("xnnpack", "fp32"): "", ("xnnpack", "int8"): "2.50x", ("portable", "int8"): "",
                     ("xnnpack", "fp16"): ""}


def test_a_failed_run_is_a_row_with_its_reason_and_no_bar(tmp_path):
    failed = make_result(latencies=[9.0] * 40)
    failed.update(load_ms=None, first_ms=None, latencies_ms=[], stats=None, valid=False, model=None, input_shape=None,
                  precision=None, invalid_reasons=["m.pte: this .pte is delegated to [QnnBackend], which this runtime lacks"])
    paths = [results.write(r, tmp_path / "results") for r in (make_result(), failed)]
    table, written = compare(paths, tmp_path / "out")
    rows = list(csv.DictReader((tmp_path / "out" / "table.csv").open()))
    bad = next(r for r in rows if r["valid"] != "yes")
    assert bad["valid"] == "no: m.pte: this .pte is delegated to [QnnBackend], which this runtime lacks"
    assert (bad["model"], bad["input"], bad["median_ms"], bad["n"]) == ("", "", "", "0")
    assert [p.name for p in written] == ["table.md", "table.csv", "latency.png"]
    only_failed, plots = compare(paths[1:], tmp_path / "out2")
    assert [p.name for p in plots] == ["table.md", "table.csv"] and "QnnBackend" in only_failed


def test_emulated_runs_get_their_own_table_with_ratios(result_files, tmp_path):
    deploy, naive = ("fold_batchnorm", "split_depthwise"), ()
    made = [make_counted(300_000_000, rewrites=deploy), make_counted(400_000_000, rewrites=naive),
            make_counted(330_000_000, rewrites=deploy[:1]),  # a second deploy form: the fewest is the baseline
            make_counted(150_000_000, precision="int8", rewrites=deploy),
            make_counted(600_000_000, runtime="onnxruntime", backend="CPUExecutionProvider", rewrites=deploy),
            make_counted(200_000_000, runtime="onnxruntime", backend="CPUExecutionProvider", precision="int8",
                         rewrites=deploy),
            make_counted(280_000_000, runtime="ncnn", backend="cpu", rewrites=deploy),
            make_counted(140_000_000, runtime="ncnn", backend="cpu-fp16", precision="fp16", rewrites=deploy)]
    paths = [results.write(r, tmp_path / "results") for r in made]
    table, written = compare(result_files + paths, tmp_path / "out")
    assert [p.name for p in written][:3] == ["table.md", "table.csv", "instructions.csv"]
    latency_table, counted_table = table.split("Guest instructions per inference under emulation")
    assert "emulated" not in latency_table and len(counted_table.strip().splitlines()) == 2 + 2 + 8
    rows = [(r["runtime"], r["precision"], r["form"], r["instructions_M"], r["ratio_fp32"], r["ratio_reference"],
             r["ratio_naive"]) for r in csv.DictReader((tmp_path / "out" / "instructions.csv").open())]
    assert sorted(rows) == sorted([
        ("executorch", "fp32", "deploy", "300.0", "", "0.50x", "0.75x"),
        ("executorch", "fp32", "naive", "400.0", "", "", ""),
        ("executorch", "fp32", "deploy", "330.0", "", "0.55x", "0.82x"),
        ("executorch", "int8", "deploy", "150.0", "0.50x", "0.75x", ""),
        ("onnxruntime", "fp32", "deploy", "600.0", "", "", ""),
        ("onnxruntime", "int8", "deploy", "200.0", "0.33x", "", ""),
        ("ncnn", "fp32", "deploy", "280.0", "", "0.47x", ""),
        ("ncnn", "fp16", "deploy", "140.0", "0.50x", "", ""),  # its fp16 arithmetic is a backend of its own
    ])


def _rows(folder) -> int:
    return len(list(csv.DictReader((folder / "table.csv").open())))


def test_each_file_counts_once_however_often_it_is_named(result_files, tmp_path, capsys, monkeypatch):
    folder, first = result_files[0].parent, result_files[0]
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    named = [str(first), str(first), str(folder), str(folder / ".." / folder.name / first.name), "link",
             f"link/{first.name}"]
    assert main(["compare", *named, "--output", "cmp"]) == 0
    assert _rows(tmp_path / "cmp") == 4 and capsys.readouterr().err == ""


def test_a_copy_byte_for_byte_counts_once_and_says_so(result_files, tmp_path, capsys):
    copy = tmp_path / "elsewhere" / "copy.json"
    copy.parent.mkdir()
    shutil.copyfile(result_files[1], copy)
    compare([*result_files, copy], tmp_path / "cmp")
    assert capsys.readouterr().err == f"skipped {copy}: the same result as {result_files[1]}\n"
    assert _rows(tmp_path / "cmp") == 4


def test_a_reused_output_holds_exactly_this_runs_files(result_files, tmp_path):
    out = tmp_path / "cmp"
    _, first = compare(result_files, out)
    assert "sustained.png" in {p.name for p in first}
    _, again = compare(result_files[:2], out)  # no sustained run this time: its plot goes
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in again) == ["latency.png", "table.csv",
                                                                                       "table.md"]
    assert _rows(out) == 2 and sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "results"]  # no temp left
    empty = tmp_path / "empty"
    empty.mkdir()
    compare(result_files, empty)
    assert _rows(empty) == 4


@pytest.mark.parametrize("foreign", ["notes.txt", "results.json", "plots.png/"])
def test_an_output_holding_other_files_is_refused_before_anything_is_read(result_files, tmp_path, foreign):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "table.md").write_text("an earlier table")
    (out / foreign.rstrip("/")).mkdir() if foreign.endswith("/") else (out / foreign).write_text("mine")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")  # never read: the output is checked first
    with pytest.raises(UsageError, match=rf"^--output {out} holds files compare did not write \(first: "
                                         rf"{foreign.rstrip('/')}\); choose a new or empty folder$"):
        compare([*result_files, broken], out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["table.md", foreign.rstrip("/")])
    assert (out / "table.md").read_text() == "an earlier table"
    with pytest.raises(UsageError, match=r"^--comparison .* holds files compare did not write"):
        compare(result_files, out, flag="--comparison")  # `all` names its own flag


def test_an_output_that_is_a_file_is_refused(result_files, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    with pytest.raises(UsageError, match=rf"^--output {afile}: {afile} is a file, not a folder; pass a folder$"):
        compare(result_files, afile)
    with pytest.raises(UsageError, match=rf"^--output {afile}/sub: {afile} is a file, not a folder; "):
        compare(result_files, afile / "sub")
    assert afile.read_text() == "mine"


def test_no_refusal_of_compare_names_a_flag_it_lacks(result_files, tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    for output in ("afile", "afile/sub", "theirs"):
        assert main(["compare", str(result_files[0]), "--output", str(tmp_path / output)]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "--overwrite" not in err, err
