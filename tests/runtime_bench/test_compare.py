import csv
import json

import pytest

from cloformer.runtime_bench.compare import COLUMNS, compare
from cloformer.runtime_bench.result import ResultError


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


def test_one_bad_file_names_itself_and_nothing_is_written(result_files, tmp_path):
    broken = json.loads(result_files[0].read_text())
    del broken["latencies_ms"]
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(broken))
    with pytest.raises(ResultError, match=r"broken.json: field \(top level\): 'latencies_ms' is a required property"):
        compare(result_files + [bad], tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()
