"""The core (``src/livelab``) names no plugin's metric, series or details key.

What a view needs to show a metric (its title, unit, chart title, transcript highlights,
per-product values) comes from what the analyzer declares, so a third-party analyzer gets
the same report as a built-in one. This test reads every string in the core's code
(docstrings and comments aside) and fails on one that is a built-in analyzer's metric or
series name, or an analyzer's name used as a key (``details["pace"]``).
"""

from __future__ import annotations

import ast
import json

from tests.conftest import REPO, TEST_DATA

CORE = REPO / "src" / "livelab"
GOLDEN = TEST_DATA / "golden"


def plugin_names() -> tuple[set[str], set[str]]:
    """(metric and series names, analyzer names) of the built-in plugins, from the
    sample sessions' scorecards, which list every one of them."""
    names: set[str] = set()
    analyzers: set[str] = set()
    for path in GOLDEN.glob("*.scorecard.json"):
        sc = json.loads(path.read_text(encoding="utf-8"))
        names |= set(sc["metrics"]) | {s["name"] for s in sc["series"]}
        analyzers |= set(sc["analyzers"]) | set(sc["details"])
    return names, analyzers


def docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def offences(source: str, where: str, names: set[str], analyzers: set[str]) -> list[str]:
    tree = ast.parse(source)
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if text in names:
                found.append(f"{where}:{node.lineno}: names the plugin metric {text!r}")
        if isinstance(node, ast.Subscript | ast.Call):
            keys = [node.slice] if isinstance(node, ast.Subscript) else node.args[:1]
            if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "pop")
            ):
                keys = []
            for key in keys:
                if isinstance(key, ast.Constant) and key.value in analyzers:
                    found.append(f"{where}:{node.lineno}: reads the plugin key {key.value!r}")
    return sorted(found, key=lambda f: int(f.split(":")[1]))


def test_the_core_names_no_plugin_metric_or_details_key() -> None:
    names, analyzers = plugin_names()
    assert "pace.rate_overall" in names and "pace" in analyzers  # the lists are real
    found = []
    for path in sorted(CORE.rglob("*.py")):
        found += offences(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)),
                          names, analyzers)  # fmt: skip
    assert not found, "\n".join(found)


def test_the_check_finds_what_it_looks_for() -> None:
    names, analyzers = plugin_names()
    code = '''
"""Docstrings may say pace.rate_overall."""
TITLES = {"pace.rate_timeline": "Speaking rate"}
spans = details["pace"]["filler_spans"]
other = sc.get("coverage")
fine = "pace. is a namespace"
'''
    found = offences(code, "x.py", names, analyzers)
    assert [f.split(": ", 1)[1] for f in found] == [
        "names the plugin metric 'pace.rate_timeline'",
        "reads the plugin key 'pace'",
        "reads the plugin key 'coverage'",
    ], found
