"""The emulated ARM64 machine of `cloformer-bench arm64`, prepared once and cached under
`$CLOFORMER_CACHE/arm64` (default ~/.cache/cloformer/arm64); nothing is installed on the host.

- Tools: Debian's dynamic `qemu-aarch64` (the static build has no plugin support) and the aarch64
  cross g++, unpacked from their .debs unless the host has them already.
- Userland: Debian bookworm's arm64 python3.11 and its libraries, unpacked from .debs into a
  sysroot for `qemu-aarch64 -L` (no debootstrap second stage, no chroot, no root); every target's
  guest (`Target.guest`): the host's versions of its Python wheels from PyPI's aarch64 builds, or
  its native program, built by the target against what it needs (e.g. a runtime's C++ libraries
  from its aarch64 wheel).
- A TCG plugin counting guest instructions (count_insns.c), compiled with the host's cc.
- Per emulated CPU, a copy of the sysroot (hard links) whose /proc/cpuinfo and
  /sys/devices/system/cpu files describe that CPU: qemu-user passes the host's through, and
  cpuinfo (ORT, XNNPACK) then finds no ARM CPU (XNNPACK fails with status 0x5, ORT segfaults).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from ....export.api import TARGETS, CommandError, Target, UsageError
from ..base import cache

HERE = resources.files(__package__)
RELEASE = "bookworm"  # its python3.11 takes the cp311 wheels the host uses
GUEST_PACKAGES = ("python3.11-minimal", "libpython3.11-stdlib", "libstdc++6")
QEMU_PACKAGES = ("qemu-user",)
TOOLCHAIN_PACKAGES = ("g++-aarch64-linux-gnu",)  # for the native guests (`Guest.build`); dropped once built
# Every manylinux tag bookworm's glibc 2.36 runs (pip's --platform takes exact tags only).
WHEEL_TAGS = [f"manylinux_2_{minor}_aarch64" for minor in range(17, 37)]
GUEST_MAIN_WHEELS = ("numpy",)  # what guest_main.py itself imports
LAYOUT = "4"  # bump when the cached userland's layout changes
HOST_TOOLS = ("apt-get", "dpkg-deb", "cc")  # what preparing the userland runs on the host


@dataclass(frozen=True)
class Cpu:
    qemu: str      # -cpu value
    midr: int      # MIDR_EL1 as the kernel reports it (implementer, variant, part, revision)
    summary: str


# MIDR fields: implementer [31:24], variant [23:20], architecture [19:16], part [15:4], revision [3:0].
CPUS = {
    "cortex-a76": Cpu("cortex-a76", 0x414FD0B1,
                      "Arm Cortex-A76, the big core of Snapdragon 855-888-era phones: ARMv8.2-A, dotprod, fp16"),
    # BCM2711's core (Raspberry Pi 4), r0p3, as its /proc/cpuinfo reports it.
    "cortex-a72": Cpu("cortex-a72", 0x410FD083,
                      "Arm Cortex-A72, the Raspberry Pi 4's core and 2016-era phones' big core: ARMv8.0-A, "
                      "no fp16 arithmetic, no dotprod"),
    # QEMU's max CPU (its own MIDR, implementer 0: no real core) as Cortex-X2/A710-era phone cores have it:
    # SVE at 128 bits, and no SME, on which XNNPACK's int8 outputs are wrong under QEMU 7.2 (SQNR -1 dB).
    "armv9": Cpu("max,sve-default-vector-length=16,sme=off", 0x000F0510,
                 "QEMU's max CPU without SME, as Cortex-X2/A710-era phones: ARMv9-A, i8mm, bf16, SVE2 at 128 bits"),
}
DEFAULT_CPU = "cortex-a76"

# Linux's arm64 HWCAP / HWCAP2 bit names, in /proc/cpuinfo order (arch/arm64/kernel/cpuinfo.c).
HWCAP = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop "
         "sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg").split()
HWCAP2 = ("dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svef32mm svef64mm svebf16 "
          "i8mm bf16 dgh rng bti mte ecv afp rpres mte3 sme smei16i64 smef64f64 smei8i32 smef16f32 smeb16f32 "
          "smef32f32 smefa64 wfxt ebf16 sveebf16").split()


def cache_root() -> Path:
    return cache("arm64")


@dataclass(frozen=True)
class Userland:
    root: Path                   # the cached userland
    qemu: Path
    qemu_version: str
    host_libs: tuple[str, ...]   # LD_LIBRARY_PATH entries the unpacked qemu needs
    plugin: Path
    versions: dict[str, str]     # runtime distribution -> version in the userland
    programs: dict[str, str]     # target -> its native guest program, inside the sysroot

    @property
    def emulator(self) -> str:
        return f"qemu-aarch64 {self.qemu_version}"

    def sysroot(self, cpu: str) -> Path:
        return self.root / f"sysroot-{cpu}"

    def features(self, cpu: str) -> list[str]:
        return json.loads((self.sysroot(cpu) / "opt" / "features.json").read_text())

    def env(self) -> dict[str, str]:
        """The host-side environment of qemu and the tools: a clean one (qemu passes it to the guest)."""
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LD_LIBRARY_PATH": ":".join(self.host_libs),
                "LC_ALL": "C"}


def _run(cmd: list[str], what: str, **kw) -> str:
    got = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if got.returncode:
        lines = [line for line in (got.stderr or got.stdout).splitlines() if line.strip() and not line.startswith("W:")]
        raise CommandError(f"{what} failed: {lines[-1] if lines else f'exit {got.returncode}'}")
    return got.stdout


def _needs(*tools: str) -> None:
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise UsageError(f"cloformer-bench arm64 needs {', '.join(missing)} (a Debian or Ubuntu host: apt-get, "
                         "dpkg-deb, a C compiler); install them (e.g. apt-get install build-essential) and retry")


def debian_mirror() -> str:
    """The Debian mirror the host's apt uses (one-line or deb822 sources), else deb.debian.org."""
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            found = re.search(r"https?://\S+/debian/?(?=\s|$)", path.read_text(), re.M)
        except OSError:
            continue
        if found:
            return found.group(0)
    return "http://deb.debian.org/debian"


def _fetch_debs(work: Path, name: str, packages: tuple[str, ...], arch: str, host_status: bool) -> list[Path]:
    """Download `packages` and what they depend on with a private APT configuration (own lists
    and cache; the host's sources and dpkg database stay untouched). `host_status`: count what the
    host has installed as present; otherwise resolve from nothing (a foreign sysroot)."""
    d = work / f"apt-{name}"
    (d / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (d / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    lines = [f'APT::Architecture "{arch}";', f'APT::Architectures {{"{arch}";}};', f'Dir::State::Lists "{d}/lists";',
             f'Dir::Cache "{d}/cache";', 'Debug::NoLocking "1";', 'APT::Sandbox::User "root";']
    if not host_status:
        (d / "status").touch()
        keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        if not Path(keyring).is_file():
            raise UsageError(f"{keyring} is missing: install debian-archive-keyring (the arm64 userland is Debian "
                             f"{RELEASE}'s) and retry")
        (d / "sources.list").write_text(f"deb [arch={arch} signed-by={keyring}] {debian_mirror()} {RELEASE} main\n")
        lines += [f'Dir::State::status "{d}/status";', f'Dir::Etc::SourceList "{d}/sources.list";',
                  'Dir::Etc::SourceParts "/nonexistent";']
    (d / "apt.conf").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "APT_CONFIG": str(d / "apt.conf"), "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "-q", "update"], f"apt-get update ({arch} package lists)", env=env)
    _run(["apt-get", "-q", "-y", "--no-install-recommends", "--download-only", "install", *packages],
         f"downloading {' '.join(packages)} from Debian", env=env)
    return sorted((d / "cache" / "archives").glob("*.deb"))


def _unpack(debs: list[Path], into: Path) -> None:
    for deb in debs:
        _run(["dpkg-deb", "-x", str(deb), str(into)], f"unpacking {deb.name}")


def _tool(tools: Path, name: str) -> Path:
    found = tools / "usr" / "bin" / name
    if found.exists():
        return found
    system = shutil.which(name)
    if not system:
        raise CommandError(f"{name} is neither on this host nor in the downloaded packages")
    return Path(system)


def guests() -> list[Target]:
    """The targets whose artifacts run here: those with a guest."""
    return [target for target in TARGETS.values() if target.guest is not None]


def _host_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _platform_args() -> list[str]:
    return [arg for tag in WHEEL_TAGS for arg in ("--platform", tag)]


PIP = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]


def _wheels(into: Path) -> dict[str, str]:
    """The host's versions of every Python guest's wheels, as aarch64 wheels into the sysroot;
    those not installed on the host are left out (their targets' artifacts cannot be made here)."""
    wanted = dict.fromkeys([*GUEST_MAIN_WHEELS, *(w for t in guests() for w in t.guest.wheels)])
    versions = {name: v for name in wanted if (v := _host_version(name))}
    _run([*PIP, "install", "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
          *_platform_args(), "--target", str(into / "opt" / "python"), *(f"{n}=={v}" for n, v in versions.items())],
         "pip install of the aarch64 runtime wheels")
    return versions


@dataclass(frozen=True)
class _Build:
    """`GuestBuild` (export/targets/base.py) for the native guests."""
    sysroot: Path
    work: Path
    toolchain: Path
    env: dict

    def wheel(self, distribution: str) -> Path:
        version = _host_version(distribution)
        if version is None:
            raise CommandError(f"{distribution} is not installed on this host: its aarch64 build has no version to match")
        d = self.work / "wheels" / distribution
        _run([*PIP, "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11", *_platform_args(),
              "-d", str(d), f"{distribution}=={version}"], f"pip download of the aarch64 {distribution} wheel")
        return next(d.glob("*.whl"))

    def cxx(self, args: list[str], what: str) -> None:
        _run([str(_tool(self.toolchain, "aarch64-linux-gnu-g++")), *args, f"-Wl,--sysroot={self.toolchain}"],
             what, env=self.env)


def _build(toolchain: Path, env: dict, work: Path, sysroot: Path, root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The counting plugin (host cc), and each native guest (the target's own build, cross g++);
    returns the native guests' programs and their runtimes' versions."""
    _run(["cc", "-O2", "-shared", "-fPIC", "-o", str(root / "count_insns.so"), str(HERE / "count_insns.c")],
         "compiling the instruction-count plugin")
    build = _Build(sysroot, work, toolchain, env)
    programs, versions = {}, {}
    for target in guests():
        if target.guest.build is not None:
            programs[target.name] = target.guest.build(build)
            versions[target.guest.distribution] = _host_version(target.guest.distribution)
    return programs, versions


def _describe(userland: Userland, base: Path, cpu: str) -> None:
    """A sysroot copy for `cpu` whose CPU files describe it, with the features the emulated CPU
    reports (read from its auxiliary vector)."""
    target = userland.sysroot(cpu)
    shutil.copytree(base, target, symlinks=True, copy_function=os.link)
    probe = ("import ctypes; g = ctypes.CDLL(None).getauxval; g.restype = ctypes.c_ulong; "
             "print(g(16), g(26))")
    out = _run([str(userland.qemu), "-cpu", CPUS[cpu].qemu, "-L", str(target), str(target / "usr/bin/python3.11"),
                "-c", probe], f"probing the emulated {cpu}", env=userland.env())
    hwcap, hwcap2 = map(int, out.split())
    features = [n for i, n in enumerate(HWCAP) if hwcap >> i & 1] + [n for i, n in enumerate(HWCAP2) if hwcap2 >> i & 1]
    midr = CPUS[cpu].midr
    (target / "proc").mkdir(exist_ok=True)
    (target / "proc" / "cpuinfo").write_text(
        f"processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: {' '.join(features)}\n"
        f"CPU implementer\t: {midr >> 24:#04x}\nCPU architecture: 8\nCPU variant\t: {midr >> 20 & 0xF:#x}\n"
        f"CPU part\t: {midr >> 4 & 0xFFF:#05x}\nCPU revision\t: {midr & 0xF}\n\n")
    cpus = target / "sys" / "devices" / "system" / "cpu"
    (cpus / "cpu0" / "regs" / "identification").mkdir(parents=True, exist_ok=True)
    for name in ("possible", "present", "online"):  # one CPU: "0" (an empty file reads as none)
        (cpus / name).write_text("0\n")
    (cpus / "cpu0" / "regs" / "identification" / "midr_el1").write_text(f"{midr:#018x}\n")
    (target / "opt" / "features.json").write_text(json.dumps(features))


def _key() -> str:
    """What the cached userland was built from: rebuilt when any of it changes."""
    parts = [LAYOUT, RELEASE, *GUEST_PACKAGES, *QEMU_PACKAGES, *TOOLCHAIN_PACKAGES, *WHEEL_TAGS, repr(sorted(CPUS.items()))]
    for target in guests():
        guest = target.guest
        for name in (guest.distribution, *guest.wheels):
            parts.append(f"{target.name}: {name}=={_host_version(name)}")
        parts += [source.read_text() for source in guest.sources]
    parts += [f"{name}=={_host_version(name)}" for name in GUEST_MAIN_WHEELS]
    parts.append((HERE / "count_insns.c").read_text())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def prepare(say=print) -> Userland:
    """The cached userland, built first if missing or stale (about a minute and 300 MB)."""
    if platform.machine() in ("aarch64", "arm64"):
        raise UsageError("this host is ARM64 already: run its artifacts with cloformer-bench host")
    _needs(*HOST_TOOLS)
    root, key = cache_root(), _key()
    stamp = root / "userland.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("key") == key:
        return _userland(root, json.loads(stamp.read_text()))
    say(f"preparing the emulated ARM64 userland in {root} (once; about a minute)")
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    work, tools, toolchain, base = partial / "work", partial / "qemu", partial / "work" / "toolchain", partial / "base"
    for d in (work, tools, toolchain, base):
        d.mkdir(parents=True)
    host_arch = _run(["dpkg", "--print-architecture"], "dpkg --print-architecture").strip()
    # What the host has installed already is used as is (host_status): only the rest is unpacked.
    _unpack(_fetch_debs(work, "qemu", QEMU_PACKAGES, host_arch, host_status=True), tools)
    for other in (tools / "usr" / "bin").glob("qemu-*"):  # the package emulates 30 architectures: keep one
        if other.name != "qemu-aarch64":
            other.unlink()
    shutil.rmtree(tools / "usr" / "share", ignore_errors=True)
    _unpack(_fetch_debs(work, "toolchain", TOOLCHAIN_PACKAGES, host_arch, host_status=True), toolchain)
    _unpack(_fetch_debs(work, "arm64", GUEST_PACKAGES, "arm64", host_status=False), base)
    triplet = f"{platform.machine()}-linux-gnu"
    host_libs = [str(tools / p / triplet) for p in ("usr/lib", "lib")]
    qemu = _tool(tools, "qemu-aarch64")
    version = re.search(r"version (\S+)", _run([str(qemu), "--version"], "qemu-aarch64 --version",
                                                env={**os.environ, "LD_LIBRARY_PATH": ":".join(host_libs)}))
    record = {"key": key, "qemu": str(qemu), "qemu_version": version.group(1) if version else "unknown",
              "host_libs": host_libs, "versions": _wheels(base)}
    if sys.version_info[:2] == (3, 11):  # the guest's Python: its imports then compile nothing under emulation
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", str(base / "opt" / "python"),
                        str(base / "usr" / "lib" / "python3.11")], capture_output=True)
    programs, native = _build(
        toolchain, {**os.environ, "LD_LIBRARY_PATH": ":".join(str(toolchain / p / triplet) for p in ("usr/lib", "lib"))},
        work, base, partial)
    record["versions"].update(native)
    record["programs"] = programs
    draft = _userland(partial, record)
    for cpu in CPUS:
        _describe(draft, base, cpu)
    shutil.rmtree(work)
    shutil.rmtree(base)
    (partial / "userland.json").write_text(json.dumps(record, indent=1))
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return _userland(root, json.loads(stamp.read_text()))


def _userland(root: Path, record: dict) -> Userland:
    """The record's paths point into the folder it was built in (`.partial`): moved to `root`."""
    def moved(path: str) -> Path:
        built = Path(path)
        for parent in built.parents:
            if parent.name in (root.name, root.name + ".partial") and parent.parent == root.parent:
                return root / built.relative_to(parent)
        return built  # a host tool (e.g. /usr/bin/qemu-aarch64)
    return Userland(root, moved(record["qemu"]), record["qemu_version"], tuple(str(moved(p)) for p in record["host_libs"]),
                    root / "count_insns.so", record["versions"], record["programs"])
