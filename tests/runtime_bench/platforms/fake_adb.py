"""A stand-in for `adb` (installed as `adb` on PATH by the tests): emulates the commands the
android driver uses, with one directory per device under $FAKE_ADB_ROOT as its storage.

$FAKE_ADB_DEVICES: serial:behaviour,... where behaviour is
  ok         the app writes a valid result ($FAKE_ADB_RESULT) when started
  timeout    the app never writes one
  badschema  the app writes a result missing `stats`
  noapp      the app is not installed
  java       the app's own headless logic runs (android_app core on the JVM, a fake runner that
             returns the check bundle's outputs; $FAKE_APP_CLASSPATH: its classes, tests/android_app)
  javawrong  the same with a runner 1 % off (a wrong delegate)
Every call is appended to $FAKE_ADB_ROOT/calls.log."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

root = Path(os.environ["FAKE_ADB_ROOT"])
devices = dict(item.split(":") for item in os.environ.get("FAKE_ADB_DEVICES", "").split(",") if item)
args = sys.argv[1:]
with (root / "calls.log").open("a") as log:
    log.write(" ".join(args) + "\n")

if args == ["devices"]:
    print("List of devices attached")
    for serial in devices:
        print(f"{serial}\tdevice")
    sys.exit(0)

assert args[0] == "-s", args
serial, command, rest = args[1], args[2], args[3:]
if serial not in devices:
    print(f"adb: device '{serial}' not found", file=sys.stderr)
    sys.exit(1)
behaviour, storage = devices[serial], root / serial


def local(path: str) -> Path:
    return storage / path.lstrip("/")


if command == "push":
    local(rest[1]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(rest[0], local(rest[1]))
elif command == "pull":
    shutil.copy(local(rest[0]), rest[1])
elif command == "shell" and rest[:2] == ["pm", "path"]:
    if behaviour != "noapp":
        print(f"package:/data/app/{rest[2]}/base.apk")
elif command == "shell" and rest[:2] == ["mkdir", "-p"]:
    local(rest[2]).mkdir(parents=True, exist_ok=True)
elif command == "shell" and rest[0].startswith("ls "):
    path = rest[0].split()[1]
    if local(path).exists():
        print(path)
elif command == "shell" and rest[:2] == ["am", "start"]:
    extras = {rest[i + 1]: rest[i + 2] for i in range(len(rest) - 2) if rest[i] in ("--es", "--ei", "--ef")}
    assert local(extras["artifact"]).exists() and local(extras["artifact"] + ".json").exists()
    if behaviour in ("java", "javawrong"):
        command = ["java", "-cp", os.environ["FAKE_APP_CLASSPATH"], "org.cloformer.bench.core.Fixture", "headless",
                   str(local("/sdcard/Android/data/org.cloformer.bench/files/results")),
                   "0.01" if behaviour == "javawrong" else "0"]
        for i, flag in enumerate(rest):
            if flag in ("--es", "--ei", "--ef"):
                name, value = rest[i + 1], rest[i + 2]
                command += [flag, name, str(local(value)) if name == "artifact" else value]
        subprocess.run(command, check=True, capture_output=True)
    if behaviour in ("ok", "badschema"):
        result = json.loads(Path(os.environ["FAKE_ADB_RESULT"]).read_text())
        result["device"]["serial"] = serial
        result["artifact"]["path"] = extras.get("artifact", result["artifact"]["path"])  # as the app names it
        result["runtime"]["threads"] = int(extras["threads"])
        if behaviour == "badschema":
            del result["stats"]
        out = local(f"/sdcard/Android/data/org.cloformer.bench/files/results/{extras['run_id']}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result))
    print("Status: ok")
else:
    print(f"fake adb: unexpected {args}", file=sys.stderr)
    sys.exit(3)
