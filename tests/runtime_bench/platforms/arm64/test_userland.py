"""The cached emulated userland: built once, reused, and a host without the tools told what to install."""
from __future__ import annotations

import pytest

from cloformer.export.api import UsageError
from cloformer.runtime_bench.platforms.arm64 import userland


@pytest.mark.arm64
def test_prepared_once_then_reused():
    first = userland.prepare()
    stamp = first.root / "userland.json"
    built = stamp.stat().st_mtime_ns
    said = []
    again = userland.prepare(said.append)
    assert again == first and stamp.stat().st_mtime_ns == built and said == []
    for cpu in userland.CPUS:  # each CPU's files describe it to cpuinfo
        cpuinfo = (first.sysroot(cpu) / "proc" / "cpuinfo").read_text()
        assert f"CPU part\t: {userland.CPUS[cpu].midr >> 4 & 0xFFF:#05x}" in cpuinfo
        assert (first.sysroot(cpu) / "sys/devices/system/cpu/possible").read_text() == "0\n"
        assert " ".join(first.features(cpu)) in cpuinfo
    assert "i8mm" in first.features("armv9") and "i8mm" not in first.features("cortex-a76")
    assert "sme" not in first.features("armv9")


def test_a_host_without_the_tools_is_told_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match=r"needs apt-get, dpkg-deb, cc \(a Debian or Ubuntu host"):
        userland.prepare()
