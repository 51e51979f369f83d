"""The official `qai-hub` client, wrapped for `cloformer-bench aihub`: its configuration (the token
lives only in the client's own ini file), its exceptions as one line each, and AI Hub's devices
(names, OS, SoC; the list cached a day)."""
from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ....export.api import CommandError, UsageError, json_object, shortened, staged
from ..base import cache

INSTALL = "pip install 'cloformer[aihub]'"
CONFIGURE = ("qai-hub configure --api_token <your token> (the token is under Settings on "
             "https://workbench.aihub.qualcomm.com), or point QAIHUB_CLIENT_INI at a client.ini holding one")
LIST_HINT = "`cloformer-bench aihub --list-devices` lists AI Hub's device names"
CACHE_SECONDS = 24 * 3600
CONNECT_SECONDS = 10.0
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class JobError(CommandError):
    """One job failed, timed out or was refused; the other jobs carry on."""


def client():
    """A `qai_hub.Client` with its own configuration (`qai-hub configure`), quiet; usage errors
    for a missing client, configuration or token, before anything leaves the machine."""
    try:
        import qai_hub
        from qai_hub.api_utils import get_config_path
    except ImportError:
        raise UsageError(f"cloformer-bench aihub needs Qualcomm's qai-hub client, not installed here: {INSTALL}") from None
    path = Path(get_config_path())  # the client's own precedence: QAIHUB_CLIENT_INI, then ~/.qai_hub/client.ini
    ini = configparser.ConfigParser()
    try:
        found = ini.read(path)
    except (configparser.Error, UnicodeDecodeError) as e:
        raise UsageError(f"AI Hub's client configuration {path} cannot be read ({shortened(str(e).splitlines()[0])}); "
                         f"write it again with {CONFIGURE}") from None
    if not found:
        raise UsageError(f"no AI Hub token: {path} does not exist; run {CONFIGURE}")
    if not ini.get("api", "api_token", fallback="").strip() or not ini.get("api", "api_url", fallback="").strip():
        raise UsageError(f"no AI Hub token in {path} ([api] api_token and api_url); run {CONFIGURE}")
    reachable(ini.get("api", "api_url"))
    hub = qai_hub.Client()
    hub.set_verbose(False)  # its progress bars and notices are not ours to print
    return hub


def reachable(url: str) -> None:
    """Refuse at once, in one line, a service this machine cannot connect to: the client retries a
    refused connection with back-off for most of a minute before it says 'Internal API failure'."""
    parsed = urlsplit(url)
    if any(os.environ.get(proxy) for proxy in PROXIES):
        return  # through a proxy only the client knows the way
    try:
        with socket.create_connection((parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)),
                                      timeout=CONNECT_SECONDS):
            pass
    except (OSError, ValueError) as e:
        raise CommandError(f"cannot reach AI Hub at {url} ({getattr(e, 'strerror', None) or e}); check the "
                           "network (AI Hub runs in the cloud: there is no offline mode), then retry") from None


def api_url(hub) -> str:
    return hub.config.api_url


@contextmanager
def answered(what: str, job: bool = False) -> Iterator[None]:
    """The client's exceptions while doing `what`, as one line: a refused token or request is the
    user's to fix (exit 2), the service or the network failing is not (exit 1). `job`: inside one
    job, where every failure is that job's (`JobError`) and the other jobs carry on."""
    from qai_hub.client import Error, RateLimitedError, UserError
    from qai_hub.public_rest_api import APIException
    failed, refused = (JobError, JobError) if job else (CommandError, UsageError)
    try:
        yield
    except RateLimitedError as e:
        raise failed(f"AI Hub refused {what}: your account's job quota or rate limit is reached ({_line(e)}); "
                     "retry later, or see the limits on your AI Hub account page") from None
    except APIException as e:
        if e.status_code in (401, 403):
            raise refused(f"AI Hub refused the token ({_line(e)}); run {CONFIGURE}") from None
        raise failed(f"AI Hub failed while {what}: HTTP {e.status_code} {_line(e)}") from None
    except UserError as e:
        if str(e).startswith("Failed to authenticate"):  # the client's words for a 401
            raise refused(f"AI Hub refused the token (a bad or expired API token); run {CONFIGURE}") from None
        raise refused(f"AI Hub refused {what}: {_line(e)}") from None
    except Error as e:  # InternalError: the network or the service
        raise failed(f"AI Hub could not be reached while {what}: {_line(e)} (check the network and "
                     "https://status.aihub.qualcomm.com, then retry)") from None


def _line(e: Exception) -> str:
    """The exception's message without the client's boxes and advice lines."""
    lines = [line.strip(" |-+*") for line in str(e).splitlines()]
    return shortened(next((line for line in lines if line), type(e).__name__), 300)


@dataclass(frozen=True)
class HubDevice:
    """One of AI Hub's devices as its device list describes it."""
    name: str
    os: str
    attributes: tuple[str, ...]

    @property
    def soc(self) -> str:
        """'QTI SM8650' (maker and model as the Android app writes `device.soc`) from the device's
        `chipset:sm8650` attribute, else its chipset attribute, else ''."""
        chipsets = [a.split(":", 1)[1] for a in self.attributes if a.startswith("chipset:")]
        model = next((c for c in chipsets if c.startswith("sm") and c[2:].isdigit()), None)
        return f"QTI {model.upper()}" if model else (chipsets[0] if chipsets else "")

    @property
    def os_label(self) -> str:
        return f"Android {self.os}" if "os:android" in self.attributes else self.os

    def kinds(self, prefix: str) -> list[str]:
        return [a.split(":", 1)[1] for a in self.attributes if a.startswith(prefix + ":")]


def _os_key(device: HubDevice) -> tuple[int, ...]:
    """An OS version's numbers, for 'the newest' ("14" > "13.1")."""
    return tuple(int(n) for n in re.findall(r"\d+", device.os))


def _cache_path(url: str) -> Path:
    return cache("aihub") / f"devices-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"


def devices(hub, attributes: list[str] = (), name: str = "", cached: bool = False) -> list[HubDevice]:
    """AI Hub's devices with this name (any: '') and all these attributes. `cached`: from the list
    fetched within a day (per API URL), refreshing it when older."""
    path = _cache_path(api_url(hub))
    if cached and not name and path.is_file() and time.time() - path.stat().st_mtime < CACHE_SECONDS:
        try:
            listed = [HubDevice(d["name"], d["os"], tuple(d["attributes"]))
                      for d in json_object(path.read_bytes(), "device cache")["devices"]]
            return [d for d in listed if set(attributes) <= set(d.attributes)]
        except (ValueError, KeyError, TypeError, OSError):
            pass  # a damaged cache is fetched again
    with answered("listing devices"):
        found = [HubDevice(d.name, d.os, tuple(d.attributes))
                 for d in hub.get_devices(name=name, attributes=list(attributes))]
    if cached and not name and not attributes:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staged(path) as tmp:
            tmp.write_text(json.dumps({"devices": [asdict(d) for d in found]}))
            os.replace(tmp, path)
    return found


def listing(hub, attributes: list[str]) -> str:
    """`--list-devices`: name, OS, SoC and runtimes of every device with these attributes."""
    found = sorted(devices(hub, [], cached=True), key=lambda d: (d.name, _os_key(d)))
    found = [d for d in found if set(attributes) <= set(d.attributes)]
    if not found:
        return f"no AI Hub device has {' and '.join(attributes)}" if attributes else "AI Hub lists no device"
    rows = [("device (--device)", "OS", "SoC", "runtimes")] + [
        (d.name, d.os_label, d.soc, ", ".join(d.kinds("framework"))) for d in found]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[3] for r in rows)


def resolve(hub, names: list[str], attributes: list[str]) -> list[HubDevice]:
    """One device per --device name (or, without names, the one AI Hub picks for the attributes),
    each its newest OS, as AI Hub selects when no OS is given; unknown ones are a usage error."""
    chosen = []
    for name in names or [""]:
        found = devices(hub, attributes, name=name)
        if not found:
            wanted = " and ".join(filter(None, [repr(name) if name else "", *attributes]))
            raise UsageError(f"--device {wanted}: AI Hub has no such device; {LIST_HINT}" if name
                             else f"--device-attr {wanted}: no AI Hub device has it; {LIST_HINT}")
        chosen.append(max(found, key=_os_key))
    return list(dict.fromkeys(chosen))
