"""The plugin manager: built-in defaults, installed entry points and --plugins-dir files."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from livelab.api import hooks as hookspecs
from livelab.api.analysis import SIGNALS, Analyzer, MetricSpec, OpsFormat
from livelab.api.errors import PluginError, Problem
from livelab.engine.version import package_version
from livelab.i18n import _

ENTRY_POINT_GROUP = "livelab"
#: Comma-separated plugin names; when set, only these entry-point plugins load.
ENV_LOAD_PLUGINS = "LIVELAB_LOAD_PLUGINS"

# Core services registered exactly like external plugins (datasette's habit).
# The names are what scorecards record, kept from before the modules moved.
DEFAULT_PLUGINS = {
    "livelab.transcribe": "livelab.builtin.whisper",
    "livelab.reporters": "livelab.builtin.reporters",
    "livelab.html": "livelab.reports.html",
    "livelab.executors": "livelab.builtin.executors",
}

pm = pluggy.PluginManager("livelab")
pm.add_hookspecs(hookspecs)


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    version: str
    source: str  # "built-in", "entry point", or the file it came from


@dataclass(frozen=True, slots=True)
class LoadFailure:
    name: str
    source: str
    error: str


_state: dict[str, object] = {"loaded": False}
_infos: dict[str, PluginInfo] = {}

# What a plugin's own code may raise that costs that plugin only: any exception and
# sys.exit(); in a grading worker, where Ctrl-C is ignored, a KeyboardInterrupt too (it can
# only come from the plugin there).
_PLUGIN_FAILURES: tuple[type[BaseException], ...] = (Exception, SystemExit)


def plugin_failures() -> tuple[type[BaseException], ...]:
    return _PLUGIN_FAILURES


def interrupts_are_plugin_failures() -> None:
    """Called in each grading worker: a KeyboardInterrupt there is a plugin's, not Ctrl-C."""
    global _PLUGIN_FAILURES
    _PLUGIN_FAILURES = (Exception, SystemExit, KeyboardInterrupt)


def failure_text(exc: BaseException) -> str:
    """How a plugin's failure reads: "SystemExit: sys.exit(0) called", "ValueError: …"."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the plugin called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt: raised by the plugin"
    return f"{type(exc).__name__}: {exc}"

failures: list[LoadFailure] = []


def _register(module: object, info: PluginInfo) -> None:
    """Register one plugin, rejecting it (not the whole run) if its hooks are misspelled."""
    try:
        pm.register(module, name=info.name)
        pm.check_pending()
    except plugin_failures() as exc:  # a broken plugin is reported and skipped
        if pm.is_registered(module):
            pm.unregister(module)
        failures.append(LoadFailure(info.name, info.source, failure_text(exc)))
        return
    _infos[info.name] = info


def load_plugins(plugins_dirs: Iterable[Path | str] = ()) -> None:
    """Load the default, installed and ``plugins_dirs`` plugins, once per process."""
    if _state["loaded"]:
        for d in plugins_dirs:
            load_plugins_dir(Path(d))
        return
    _state["loaded"] = True
    for name, modname in DEFAULT_PLUGINS.items():
        _register(
            importlib.import_module(modname), PluginInfo(name, package_version(), "built-in")
        )
    allowed = os.environ.get(ENV_LOAD_PLUGINS)
    allow = {n.strip() for n in allowed.split(",") if n.strip()} if allowed is not None else None
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allow is not None and ep.name not in allow:
            continue
        if pm.has_plugin(ep.name):
            continue
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            module = ep.load()
        except plugin_failures() as exc:
            failures.append(
                LoadFailure(ep.name, f"entry point ({dist})", failure_text(exc))
            )
            continue
        version = getattr(module, "__version__", version)
        _register(module, PluginInfo(ep.name, str(version), f"entry point ({dist})"))
    for d in plugins_dirs:
        load_plugins_dir(Path(d))


def load_plugins_dir(directory: Path) -> None:
    """Load every ``*.py`` file in ``directory`` as a single-file plugin."""
    if not directory.is_dir():
        raise PluginError([Problem(directory, _("plugins directory does not exist"))])
    for path in sorted(directory.glob("*.py")):
        if pm.has_plugin(path.stem):
            if _infos.get(path.stem, PluginInfo("", "", "")).source != str(path):
                _fail_once(path.stem, str(path), "a plugin with this name is already loaded")
            continue  # loading the same folder twice is harmless
        name = f"livelab_plugins_dir.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except plugin_failures() as exc:
            sys.modules.pop(name, None)
            failures.append(LoadFailure(path.stem, str(path), failure_text(exc)))
            continue
        _register(
            module, PluginInfo(path.stem, str(getattr(module, "__version__", "0")), str(path))
        )


def plugin_infos() -> list[PluginInfo]:
    return [_infos[n] for n in _infos if pm.has_plugin(n)]


def plugin_name_of(analyzer: Analyzer) -> str:
    module = type(analyzer).__module__
    for info in plugin_infos():
        plugin = pm.get_plugin(info.name)
        if plugin is not None and module.startswith(getattr(plugin, "__name__", "\0")):
            return info.name
    return module


def get_analyzers() -> dict[str, Analyzer]:
    """All analyzers, by name. Malformed or duplicate ones are reported and skipped."""
    found: dict[str, Analyzer] = {}
    metrics: dict[str, str] = {}
    for impl in pm.hook.livelab_analyzers.get_hookimpls():
        try:
            result: Any = impl.function()
            provided = list(result or ())
        except plugin_failures() as exc:
            _fail_once(impl.plugin_name, "livelab_analyzers()", failure_text(exc))
            continue
        for analyzer in provided:
            problem = _check_analyzer(analyzer, found, metrics)
            if problem:
                _fail_once(impl.plugin_name, "livelab_analyzers()", problem)
                continue
            found[analyzer.name] = analyzer
            for spec in analyzer.metrics:
                metrics[spec.name] = analyzer.name
    return found


def _check_analyzer(analyzer: object, found: dict[str, Analyzer], metrics: dict[str, str]) -> str:
    if not isinstance(analyzer, Analyzer):
        return f"{analyzer!r} is not a livelab.Analyzer"
    for attr in ("name", "version", "needs", "metrics"):
        if not hasattr(analyzer, attr):
            return f"analyzer {type(analyzer).__name__} does not set {attr!r}"
    if analyzer.name in found:
        return f"analyzer name {analyzer.name!r} is already taken"
    unknown = set(analyzer.needs) - SIGNALS
    if unknown:
        return f"analyzer {analyzer.name!r} needs unknown signals {sorted(unknown)}"
    unwanted = set(getattr(analyzer, "wants", ())) - {"products", "ops", "chat"}
    if unwanted:
        return f"analyzer {analyzer.name!r} wants {sorted(unwanted)}: only session files can be"
    for spec in analyzer.metrics:
        if not isinstance(spec, MetricSpec):
            return f"analyzer {analyzer.name!r} declares a metric that is not a MetricSpec"
        if spec.name in metrics:
            owner = metrics[spec.name]
            return f"metric {spec.name!r} of {analyzer.name!r} is already provided by {owner!r}"
    return ""


def _fail_once(name: str, source: str, error: str) -> None:
    failure = LoadFailure(name, source, error)
    if failure not in failures:
        failures.append(failure)


def metric_specs() -> dict[str, tuple[str, MetricSpec]]:
    """Metric name → (analyzer name, spec), over every loaded analyzer."""
    return {spec.name: (a.name, spec) for a in get_analyzers().values() for spec in a.metrics}


def ops_formats() -> tuple[OpsFormat, ...]:
    """Every operations-export format the loaded plugins offer (``livelab_ops_formats``), in
    hook order; the first format of a name wins. The core hands them to analyzers."""
    unique: dict[str, OpsFormat] = {}
    for provided in pm.hook.livelab_ops_formats():
        for fmt in provided or []:
            unique.setdefault(fmt.name, fmt)
    return tuple(unique.values())


def reporters() -> dict[str, object]:
    return {r.name: r for rs in pm.hook.livelab_reporters() for r in rs}


def executors() -> dict[str, object]:
    return {e.name: e for es in pm.hook.livelab_executors() for e in es}
