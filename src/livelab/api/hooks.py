"""Every livelab hook in one place; each docstring is the hook's contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livelab.api.analysis import Analyzer, CueDetector, Executor, OpsFormat, Reporter
    from livelab.api.products import ProductCard
    from livelab.api.speech import Transcriber, TranscriberConfig

hookspec = pluggy.HookspecMarker("livelab")
hookimpl = pluggy.HookimplMarker("livelab")

# The bodies below are never run: pluggy reads each specification's signature and calls
# the plugins' implementations.


@hookspec
def livelab_analyzers() -> list[Analyzer]:
    """Return the analyzers this plugin provides (instances of :class:`livelab.Analyzer`).

    Analyzer names are unique across all plugins; metric names are unique and should
    start with a namespace (``pace.``, ``presence.``, …). The core decides which
    analyzers run (only those whose metrics the rubric needs) and feeds them signals.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def livelab_transcriber(config: TranscriberConfig) -> Transcriber | None:
    """Return a speech-to-text backend for ``config`` (language, model, threads), or
    ``None`` to let another plugin answer. The first non-``None`` answer is used; the
    built-in faster-whisper backend answers last.
    """
    raise NotImplementedError


@hookspec
def livelab_ops_formats() -> list[OpsFormat]:
    """Return operations-export formats: a name and a mapping from the export's column
    headers to livelab's canonical columns (``t``, ``online``, ``entries``, …).
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def livelab_cue_detector(products: Sequence[ProductCard], language: str) -> CueDetector | None:
    """Return a :class:`livelab.CueDetector` for the product cards ``products`` (possibly
    none; the core has read and validated the products file) in ``language`` (``en``,
    ``zh``), or ``None`` to let another plugin answer. ``livelab record``'s simulated
    audience reacts to the cues it finds.
    """
    raise NotImplementedError


@hookspec
def livelab_reporters() -> list[Reporter]:
    """Return output formats for scorecards (terminal, JSON, CSV gradebook, HTML, …).
    Each reporter has a unique ``name`` and renders the scorecard document to text.
    """
    raise NotImplementedError


@hookspec
def livelab_executors() -> list[Executor]:
    """Return batch back-ends (``local`` process pool, ``ray``, …) that run one
    function over many sessions and yield each result as it finishes.
    """
    raise NotImplementedError


def _spec_names() -> list[str]:
    return [n for n, v in globals().items() if n.startswith("livelab_") and callable(v)]


__all__: list[Any] = ["hookimpl", "hookspec", *_spec_names()]
