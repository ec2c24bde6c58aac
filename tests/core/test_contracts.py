"""The import contracts that keep the plugin API a real boundary (``make lint`` checks the
same ones with import-linter, configured in ``pyproject.toml``):

- ``livelab.api``, the plugin contract, is a leaf: it imports nothing else from livelab;
- a plugin imports livelab only through the top-level package (``from livelab import …``),
  never a core module, so the core may move its insides without breaking plugins;
- no plugin imports another plugin: each one can be removed or replaced alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

API = REPO / "src" / "livelab" / "api"
PLUGINS = sorted(p for p in (REPO / "plugins").iterdir() if (p / "__init__.py").is_file())


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute names, with its line (``TYPE_CHECKING``
    blocks included: a type-only import is still a dependency a reader follows)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_there_is_something_to_check() -> None:
    assert len(list(API.glob("*.py"))) >= 8
    assert {p.name for p in PLUGINS} >= {
        "livelab_pace", "livelab_coverage", "livelab_ops", "livelab_presence",
    }  # fmt: skip


def test_the_plugin_api_is_a_leaf() -> None:
    bad = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in sorted(API.glob("*.py"))
        for line, module in imported(path)
        if (module == "livelab" or module.startswith("livelab."))
        and not module.startswith("livelab.api")
    ]
    assert bad == []


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_a_plugin_uses_only_the_public_api_and_no_other_plugin(plugin: Path) -> None:
    others = {p.name for p in PLUGINS} - {plugin.name}
    bad = []
    for path in sorted(plugin.rglob("*.py")):
        for line, module in imported(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(REPO)}:{line} imports {module}"
            if module.startswith("livelab."):
                bad.append(f"{where} (use `from livelab import …`)")
            elif top in others:
                bad.append(f"{where} (another plugin)")
    assert bad == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The scan finds imports inside functions and type-checking blocks too."""
    path = tmp_path / "m.py"
    path.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from livelab.inputs import x\n"
        "def f():\n    import livelab_ops.table\n"
    )
    assert [m for _, m in imported(path)] == ["typing", "livelab.inputs", "livelab_ops.table"]
