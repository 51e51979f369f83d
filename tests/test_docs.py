"""The documentation keeps up with the code: the README stays one screen and opens with the two
commands CI runs; every command, registered target and registered platform has its page; every
relative link resolves; and every file path the architecture and the checklists name exists."""
from __future__ import annotations

import re
import tomllib

import pytest

from cloformer.export.targets import TARGETS
from cloformer.runtime_bench.platforms import PLATFORMS

from .conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"`((?:export|runtime_bench|models|tests|android_app|ios_app|docs)/[^`<>*\s]*)`")


def test_the_readme_is_one_screen_and_opens_with_the_two_commands():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    blocks = re.findall(r"```bash\n(.*?)\n```", text, re.S)
    assert blocks[:2] == ["python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "
                          "cloformer-export --target coreml", ". .venv/bin/activate && pytest"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]' && cloformer-export --target coreml" in ci and "&& pytest" in ci


@pytest.mark.parametrize("folder, names", [
    ("commands", sorted(SCRIPTS)), ("targets", sorted(TARGETS)), ("platforms", sorted(PLATFORMS))])
def test_every_command_target_and_platform_has_its_page(folder, names):
    missing = [name for name in names if not (DOCS / folder / f"{name}.md").is_file()]
    assert missing == [], f"write docs/{folder}/<name>.md for each"
    extra = sorted({p.stem for p in (DOCS / folder).glob("*.md")} - set(names))
    assert extra == [], "a page for something no longer registered"


def test_every_relative_link_resolves():
    broken = []
    for page in [README, *DOCS.rglob("*.md")]:
        for target in LINK.findall(page.read_text()):
            if not re.match(r"[a-z]+:", target) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


@pytest.mark.parametrize("page", ["architecture.md", "adding-a-target.md", "adding-a-platform.md"])
def test_the_files_the_layout_pages_name_exist(page):
    named = PATH.findall((DOCS / page).read_text())
    assert len(named) > 5
    assert [path for path in named if not (ROOT / path.rstrip("/")).exists()] == []
