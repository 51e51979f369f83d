import pytest

from cloformer.export.errors import UsageError
from cloformer.runtime_bench.platforms import ios
from cloformer.runtime_bench import result as results

from ...conftest import IPHONE, make_result


def test_collects_validated_ios_results(tmp_path):
    copied = tmp_path / "from_device"
    made = [results.write(make_result(runtime="coreml", backend=b, device=IPHONE), copied) for b in ("all", "cpu_only")]
    said = []
    written = ios.collect(made, tmp_path / "results", say=said.append)
    assert len(written) == 2 and said == [str(p) for p in written]
    assert {results.load(p)["runtime"]["backend"] for p in written} == {"all", "cpu_only"}


def test_refuses_results_from_another_kind_of_device(tmp_path):
    android_result = results.write(make_result(), tmp_path / "in")
    with pytest.raises(UsageError, match="device.kind is 'android', not 'ios'"):
        ios.collect([android_result], tmp_path / "results")
    assert not (tmp_path / "results").exists()
