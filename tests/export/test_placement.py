"""The placement report: which ops leave each fast path, where they come from, what removes them."""
from cloformer.export import placement


def test_fixes_name_the_passes_not_yet_applied():
    assert placement.fixes("aten_native_group_norm_default", ()) == ["groupnorm_as_mean"]
    assert placement.fixes("InstanceNormalization", ()) == ["groupnorm_as_mean"]
    assert placement.fixes("aten_expand_copy_default", ()) == ["global_attention_bmm"]
    assert placement.fixes("aten_squeeze_copy_dims", ()) == ["local_qkv_slices", "global_attention_bmm"]
    assert placement.fixes("split (rank 5 > 4)", ()) == ["local_qkv_slices"]
    assert placement.fixes("sqrt (rank 5 > 4)", ()) == ["groupnorm_as_mean"]
    assert placement.fixes("InstanceNormalization", ("groupnorm_as_mean",)) == []  # applied: nothing more to offer
    assert placement.fixes("Erf", ()) == []  # no equivalent pass


def test_summary_groups_by_op_and_lists_modules():
    raw = [{"path": "XNNPACK", "partitions": 3, "ops_on_path": 10, "ops": 14,
            "off": [("aten_native_group_norm_default", f"layers.0.blocks.{i}.norm1") for i in range(4)]
            + [("aten_expand_copy_default", "layers.0.blocks.0.attn")] * 2}]
    (entry,) = placement.summarize(raw, applied=("fold_batchnorm",))
    assert entry["off"] == [
        {"op": "aten_native_group_norm_default", "count": 4, "fix": ["groupnorm_as_mean"],
         "modules": ["layers.0.blocks.0.norm1", "layers.0.blocks.1.norm1", "layers.0.blocks.2.norm1", "..."]},
        {"op": "aten_expand_copy_default", "count": 2, "modules": ["layers.0.blocks.0.attn"],
         "fix": ["global_attention_bmm"]}]
    assert placement.table([entry]).splitlines() == [
        "XNNPACK: 10/14 ops on it, 3 partition(s)",
        ("  off: aten_native_group_norm_default x4 (layers.0.blocks.0.norm1, layers.0.blocks.1.norm1, "
         "layers.0.blocks.2.norm1, ...)  fix: groupnorm_as_mean"),
        "  off: aten_expand_copy_default x2 (layers.0.blocks.0.attn)  fix: global_attention_bmm"]


def test_deploy_artifacts_placement(onnx_export, executorch_export, coreml_export):
    nnapi, coreml_ep = onnx_export[1]["placement"]
    assert nnapi["path"].startswith("ONNX Runtime NNAPI EP") and coreml_ep["path"].startswith("ONNX Runtime Core ML EP")
    off = {item["op"]: item for item in nnapi["off"]}
    # GroupNorm stays InstanceNormalization in the ONNX deploy form (faster in ORT's CPU EP): named with its fix
    assert off["InstanceNormalization"]["count"] == 26 and off["InstanceNormalization"]["fix"] == ["groupnorm_as_mean"]
    assert "layers.0.blocks.0.norm1" in off["InstanceNormalization"]["modules"]
    assert off["Erf"]["count"] == 12 and off["Erf"]["fix"] == []  # exact GELU: no equivalent NNAPI form
    assert coreml_ep["ops_on_path"] == coreml_ep["ops"] - 1 and coreml_ep["off"][0]["op"] == "Flatten"
    (xnnpack,) = executorch_export[1]["placement"]
    assert xnnpack["partitions"] == 1 and xnnpack["off"] == [] and xnnpack["ops_on_path"] == xnnpack["ops"]
    (ane,) = coreml_export[1]["placement"]
    assert ane["off"] == [] and ane["ops_on_path"] == ane["ops"] == 638
