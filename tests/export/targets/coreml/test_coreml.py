import json

import coremltools as ct
import pytest

from cloformer.export.inputs import preprocessing
from cloformer.export.targets.coreml import mil_ops

from ....conftest import export


def test_parity_runs_the_saved_program_in_the_mil_reference_evaluator(coreml_export):
    path, manifest = coreml_export
    assert path.name == "cloformer_xxs_224x224_coreml_fp32.mlpackage" and path.is_dir()
    parity = manifest["parity"]
    assert parity["runtime"] == "mil-reference" and parity["status"] == "pass" and parity["max_abs_diff"] < 1e-5
    assert manifest["coreml"]["compute_precision"] == "float32"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".check", path.name + ".json"]


def test_program_ops_and_precision(coreml_export):
    path, manifest = coreml_export
    spec = ct.utils.load_spec(str(path))
    ops = mil_ops(spec)
    assert sum(manifest["ops"].values()) == len(ops) == manifest["coreml"]["mil_ops"]
    assert manifest["ops"]["conv"] == 131  # every conv of the model survived conversion
    # the deploy form: no transposes (matmul transpose flags instead), nothing above rank 4
    assert manifest["coreml"]["transposes"] == manifest["ops"].get("transpose", 0) == 0
    assert manifest["coreml"]["max_tensor_rank"] == 4
    # every op on the ANE list (export/ane.py) and within its limits
    assert manifest["coreml"]["off_ane_list"] == {} and "slice_by_index" not in manifest["ops"]
    assert spec.specificationVersion == 8  # iOS17
    # fp32 compute precision: no casts to fp16 were inserted
    assert "cast" not in manifest["ops"]


def test_metadata_describes_inputs_and_preprocessing(coreml_export):
    path, manifest = coreml_export
    meta = ct.utils.load_spec(str(path)).description
    assert meta.metadata.author and meta.metadata.license and meta.metadata.versionString == manifest["versions"]["cloformer"]
    assert "CloFormer XXS" in meta.metadata.shortDescription
    assert [i.name for i in meta.input] == ["input"] and [o.name for o in meta.output] == ["logits"]
    assert list(meta.input[0].type.multiArrayType.shape) == [1, 3, 224, 224]
    assert "ImageNet mean/std" in meta.input[0].shortDescription
    user = meta.metadata.userDefined
    assert json.loads(user["com.cloformer.preprocessing"]) == preprocessing(224, 224) == manifest["preprocessing"]
    assert user["com.cloformer.model"] == "cloformer_xxs" and user["com.cloformer.compute_units"] == "all"


@pytest.mark.slow
def test_deployment_target_and_compute_units_flags(tmp_path):
    path, manifest = export(tmp_path, "--target", "coreml", "--deployment-target", "iOS16", "--compute-units", "cpu_only")
    spec = ct.utils.load_spec(str(path))
    assert spec.specificationVersion == 7  # iOS16
    assert spec.description.metadata.userDefined["com.cloformer.compute_units"] == "cpu_only"
    assert manifest["coreml"]["deployment_target"] == "iOS16"


@pytest.mark.slow
def test_same_inputs_give_the_same_program_and_weights(coreml_export, tmp_path):
    path, _ = coreml_export
    again, _ = export(tmp_path, "--target", "coreml")
    assert ct.utils.load_spec(str(again)) == ct.utils.load_spec(str(path))
    weights = "Data/com.apple.CoreML/weights/weight.bin"
    assert (again / weights).read_bytes() == (path / weights).read_bytes()
