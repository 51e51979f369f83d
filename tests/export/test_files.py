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
