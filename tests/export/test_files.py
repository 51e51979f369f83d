import re

import pytest

from cloformer.export import files


def test_staged_file_is_removed_on_failure(tmp_path):
    final = tmp_path / "model.onnx"
    with pytest.raises(RuntimeError):
        with files.staged(final) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("exporter crashed")
    assert list(tmp_path.iterdir()) == []


def test_staged_bundle_commits_atomically(tmp_path):
    final = tmp_path / "model.mlpackage"
    with files.staged(final) as tmp:
        assert tmp.suffix == ".mlpackage" and tmp.name.startswith(".")
        (tmp / "Data").mkdir(parents=True)
        (tmp / "Data" / "w.bin").write_bytes(b"abc")
        files.commit(tmp, final, overwrite=False)
    assert [p.name for p in tmp_path.iterdir()] == ["model.mlpackage"]
    assert files.size_bytes(final) == 3
    with files.staged(final) as tmp:
        tmp.mkdir()
        with pytest.raises(FileExistsError):
            files.commit(tmp, final, overwrite=False)
    assert [p.name for p in tmp_path.iterdir()] == ["model.mlpackage"]


def test_sha256_of_bundles_covers_names_and_contents(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, name in ((a, "x"), (b, "y")):
        d.mkdir()
        (d / name).write_bytes(b"same")
    assert files.sha256(a) != files.sha256(b)
    (tmp_path / "f").write_bytes(b"")
    assert files.sha256(tmp_path / "f") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("literal", ["1e400", "-1E400", "1" + "0" * 400, "-" + "9" * 309, "1" + "0" * 5000])
def test_json_object_refuses_a_number_beyond_a_double(literal):
    shown = literal if len(literal) <= 40 else literal[:37] + "..."
    with pytest.raises(ValueError, match=rf"^{re.escape(shown)} is out of range \(not a finite number\)$"):
        files.json_object(f'{{"a": [1, {{"b": {literal}}}]}}'.encode(), "result")


def test_json_object_keeps_every_finite_number_as_it_was():
    read = files.json_object(b'{"a": 1e308, "b": -1.7976931348623157e308, "c": 5e-324, "d": 1e-400, "e": 0, '
                             b'"f": 123456789012345678901234567890, "g": 2.5}', "result")
    assert read == {"a": 1e308, "b": -1.7976931348623157e308, "c": 5e-324, "d": 0.0, "e": 0,
                    "f": 123456789012345678901234567890, "g": 2.5}
    assert type(read["e"]) is int and type(read["f"]) is int and type(read["g"]) is float
    with pytest.raises(ValueError, match=r"^not JSON \(NaN is not JSON\)$"):  # constants: as before
        files.json_object(b'{"a": NaN}', "result")
