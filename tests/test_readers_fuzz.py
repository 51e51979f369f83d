"""Every Python reader of the two contracts, fed mutated manifests and result files (hypothesis):
dropped keys, wrong types, huge numbers, unicode (in values and keys, lone surrogates included) and
truncation. Each file either loads or ends the command with one line and exit 2: no traceback, and
nothing written. Readers: `cloformer-bench host` and `cloformer-diagnose` (manifests), `cloformer-bench
ios` and `compare` (results), `cloformer-eval` (manifests and image files). The examples are fixed (derandomized), so CI sees the same ones."""
from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numpy as np

from cloformer.export.diagnose_cli import main as diagnose
from cloformer.models import fashion_mnist
from cloformer.runtime_bench.cli import main as bench
from cloformer.runtime_bench.evaluate import main as evaluate

from .conftest import make_result

EXAMPLES = 1000
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
OTHER = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(max_size=8), st.lists(st.integers(0, 3), max_size=3),
                  st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
HUGE = st.sampled_from([10**12, -10**12, 2**63, 2**64 + 1, 10**400, 1e308, -1e308, 5e-324, 0, -1])


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield prefix + (i,)
            yield from _paths(item, prefix + (i,))


def _mutate(draw, document: dict) -> None:
    path = draw(st.sampled_from(list(_paths(document))))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    kind = draw(st.sampled_from(["drop", "type", "huge", "unicode"]))
    if kind == "drop":
        del parent[key]
    elif kind == "type":
        parent[key] = draw(OTHER)
    elif kind == "huge":
        parent[key] = draw(HUGE)
    elif isinstance(parent, dict) and draw(st.booleans()):  # a key in another alphabet
        parent[draw(st.text(min_size=1, max_size=6))] = parent.pop(key)
    else:
        parent[key] = draw(st.text(min_size=1, max_size=12))


@st.composite
def mutated(draw, document: dict) -> bytes:
    """`document` with one to three mutations, serialized (maybe non-ASCII), maybe truncated."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        if document:
            _mutate(draw, document)
    data = json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:  # one in five truncated
        data = data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    return data


def run(main, argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue().splitlines()


def assert_loaded_or_refused(prog: str, code: int, lines: list[str], output: Path, also: tuple[int, ...] = ()):
    text = "\n".join(lines)
    assert "Traceback" not in text, text
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), text
        assert not output.exists(), f"{output} written for a refused input"
    else:
        assert code in (0, *also), (code, text)


def test_the_mutations_are_varied():
    """Every kind of mutation happens (a fuzz that only truncates would prove little)."""
    seen = set()

    @settings(FUZZ, max_examples=200)  # the first draw builds hypothesis's unicode tables: slow in a new venv
    @given(mutated({"a": {"b": [1, "x"]}, "c": 2.5}))
    def collect(data):
        try:
            seen.add(type(json.loads(data)).__name__)
        except ValueError:
            seen.add("broken")
    collect()
    assert seen == {"dict", "broken"}


def test_manifests_to_bench_host_and_diagnose(small_onnx_export):
    artifact, manifest = small_onnx_export
    counts = {"bench": [], "diagnose": []}

    @FUZZ
    @given(mutated(manifest))
    def feed(data):
        with tempfile.TemporaryDirectory() as tmp:
            copy_ = Path(tmp) / artifact.name
            copy_.symlink_to(artifact)
            copy_.with_name(copy_.name + ".json").write_bytes(data)
            output = Path(tmp) / "results"
            code, lines = run(bench, ["host", str(copy_), "--warmup", "0", "--rounds", "1", "--iterations", "1",
                                      "--threads", "1", "--output", str(output)])
            assert_loaded_or_refused("cloformer-bench", code, lines, output)
            counts["bench"].append(code)
            if code == 0:  # loaded: the diagnosis reads it too (a refused one it refuses the same way)
                code, lines = run(diagnose, [str(copy_), "--quiet"])
                assert_loaded_or_refused("cloformer-diagnose", code, lines, output, also=(1,))
                assert code != 1 or lines[0].startswith("cloformer-diagnose: error: diverges: "), lines
            else:
                code, lines = run(diagnose, [str(copy_), "--quiet"])
                assert code == 2 and len(lines) == 1, lines
            counts["diagnose"].append(code)
    feed()
    assert len(counts["bench"]) >= EXAMPLES and len(counts["diagnose"]) >= EXAMPLES
    assert 0 in counts["bench"] and 2 in counts["bench"]  # some mutations are harmless, most are not


def test_results_to_ios_and_compare():
    result = make_result(device={"kind": "ios", "model": "iPhone15,2", "os": "iOS 18.1", "soc": "A16", "cores": 6,
                                 "serial": None})
    codes = {"ios": [], "compare": []}

    @FUZZ
    @given(mutated(result))
    def feed(data):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "r.json"
            path.write_bytes(data)
            for command in codes:
                output = Path(tmp) / command
                code, lines = run(bench, [command, str(path), "--output", str(output)])
                assert_loaded_or_refused("cloformer-bench", code, lines, output)
                codes[command].append(code)
    feed()
    for command, seen in codes.items():
        assert len(seen) >= EXAMPLES and 0 in seen and 2 in seen, command


def test_manifests_and_images_to_eval(fashion_export, tmp_path_factory):
    """`cloformer-eval` reads a manifest and image files: a mutated manifest, and one image replaced by
    a truncated or random file."""
    artifact, manifest = fashion_export
    data = tmp_path_factory.mktemp("images")
    from PIL import Image

    for i, label in enumerate(fashion_mnist.LABELS):
        (data / fashion_mnist.folder_name(label)).mkdir()
        Image.fromarray(np.full((28, 28), 25 * i, np.uint8)).save(data / fashion_mnist.folder_name(label) / "0.png")
    png = (data / "Bag" / "0.png").read_bytes()
    codes = []

    @FUZZ
    @given(mutated(manifest), st.one_of(st.binary(max_size=64), st.integers(0, len(png) - 1).map(lambda n: png[:n])))
    def feed(manifest_bytes, image_bytes):
        with tempfile.TemporaryDirectory() as tmp:
            copy_ = Path(tmp) / artifact.name
            copy_.symlink_to(artifact)
            copy_.with_name(copy_.name + ".json").write_bytes(manifest_bytes)
            (data / "Bag" / "1.png").write_bytes(image_bytes)
            output = Path(tmp) / "eval.json"
            code, lines = run(evaluate, [str(copy_), "--data", str(data), "--quiet", "--json", str(output)])
            if code == 0:
                lines = [line for line in lines if not line.startswith("skipped 1 unreadable file(s)")]
            assert_loaded_or_refused("cloformer-eval", code, lines, output)
            assert code == 2 or output.exists()
            codes.append(code)
    feed()
    assert len(codes) >= EXAMPLES and 0 in codes and 2 in codes
