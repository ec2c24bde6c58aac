"""Plugin loading: entry points, --plugins-dir files, broken plugins reported and skipped."""

from __future__ import annotations

import textwrap

import pytest

from livelab.engine import plugins as registry

GOOD_PLUGIN = """
import livelab
from livelab import Analyzer, Findings, MetricSpec

__version__ = "0.3"

class Echo(Analyzer):
    name = "echo_dir"
    version = "1"
    needs = frozenset({"audio"})
    metrics = (MetricSpec("echo.samples", "count", "number of audio samples"),)

    def analyze(self, signals):
        f = Findings()
        f.set("echo.samples", len(signals.audio))
        return f

@livelab.hookimpl
def livelab_analyzers():
    return [Echo()]
"""


@pytest.fixture
def plugins_dir(tmp_path):
    d = tmp_path / "plugins"
    d.mkdir()
    (d / "echo_plugin.py").write_text(GOOD_PLUGIN)
    (d / "crashes_on_import.py").write_text("raise RuntimeError('boom at import')\n")
    (d / "misspelled.py").write_text(
        textwrap.dedent("""
        import livelab
        @livelab.hookimpl
        def livelab_analyzer():   # missing the final s
            return []
    """)
    )
    (d / "bad_analyzer.py").write_text(
        textwrap.dedent("""
        import livelab
        @livelab.hookimpl
        def livelab_analyzers():
            return ["not an analyzer"]
    """)
    )
    yield d
    for name in ("echo_plugin", "crashes_on_import", "misspelled", "bad_analyzer"):
        plugin = registry.pm.get_plugin(name)
        if plugin is not None:
            registry.pm.unregister(plugin)
    registry.failures.clear()


def test_builtin_plugins_load_through_entry_points():
    registry.load_plugins()
    infos = {i.name: i for i in registry.plugin_infos()}
    for name in ("pace", "coverage", "presence", "ops"):
        assert infos[name].source == "entry point (livelab)"
    analyzers = registry.get_analyzers()
    assert {"pace", "coverage", "presence", "ops"} <= set(analyzers)
    specs = registry.metric_specs()
    assert specs["pace.rate_speaking"][0] == "pace"
    for _analyzer, spec in specs.values():
        assert (
            spec.unit and spec.description and spec.better in ("higher", "lower", "target", "none")
        )


def test_plugins_dir_loads_good_and_reports_broken(plugins_dir):
    registry.load_plugins([plugins_dir])
    assert "echo_dir" in registry.get_analyzers()
    assert registry.metric_specs()["echo.samples"][0] == "echo_dir"
    info = next(i for i in registry.plugin_infos() if i.name == "echo_plugin")
    assert info.version == "0.3" and info.source.endswith("echo_plugin.py")
    failed = {f.name: f.error for f in registry.failures}
    assert "RuntimeError: boom at import" in failed["crashes_on_import"]
    assert "livelab_analyzer" in failed["misspelled"]  # check_pending names the unknown hook
    assert "is not a livelab.Analyzer" in failed["bad_analyzer"]
    assert registry.pm.get_plugin("misspelled") is None


def test_missing_plugins_dir_is_a_user_error(tmp_path):
    from livelab.api.errors import PluginError

    with pytest.raises(PluginError, match="plugins directory does not exist"):
        registry.load_plugins_dir(tmp_path / "nope")


def test_plugins_dir_twice_is_harmless_and_name_clash_reported(plugins_dir, tmp_path):
    registry.load_plugins([plugins_dir])
    registry.load_plugins([plugins_dir])
    assert [i.name for i in registry.plugin_infos()].count("echo_plugin") == 1
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "pace.py").write_text("raise SystemExit('must not even be imported')\n")
    registry.load_plugins_dir(clash)
    assert any(f.name == "pace" and "already loaded" in f.error for f in registry.failures)
    assert registry.plugin_infos()[0].name  # the built-in pace plugin is untouched
    assert next(i for i in registry.plugin_infos() if i.name == "pace").source.startswith("entry")
