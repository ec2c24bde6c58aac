"""The README's promises: its plugin example works as printed."""

from __future__ import annotations

import re

from livelab.api.analysis import Signals
from livelab.api.transcript import Segment, Transcript
from livelab.engine import plugins as registry
from livelab.inputs.session import Session
from tests.conftest import REPO


def test_readme_plugin_example_runs(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Writing a plugin.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has no plugin example"
    assert len(block.group(1).strip().splitlines()) <= 25  # "a plugin in twenty lines"
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "questions.py").write_text(block.group(1))
    try:
        registry.load_plugins([folder])
        analyzer = registry.get_analyzers()["questions"]
        transcript = Transcript(
            "en",
            "test",
            10.0,
            (
                Segment(0.0, 2.0, "Who wants one?"),
                Segment(2.5, 4.0, "It is great."),
                Segment(5.0, 6.0, "Ready to order?"),
            ),
        )
        session = Session(root=tmp_path, title="t")
        findings = analyzer.analyze(
            Signals(session=session, duration_s=10.0, transcript=transcript)
        )
        assert findings.metrics["questions.count"] == 2
        assert [e.start_s for e in findings.evidence] == [0.0, 5.0]
    finally:
        plugin = registry.pm.get_plugin("questions")
        if plugin is not None:
            registry.pm.unregister(plugin)


def test_readme_documents_every_metric():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    registry.load_plugins()
    missing = [name for name in registry.metric_specs() if f"`{name}`" not in readme]
    assert not missing, f"README does not document {missing}"


def _quick_start(name: str) -> list[str]:
    text = (REPO / name).read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, f"{name} has no quick-start commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_both_readmes_give_the_same_two_commands():
    assert _quick_start("README.md") == ["make demo", "make test"]
    assert _quick_start("README.zh-CN.md") == _quick_start("README.md")
