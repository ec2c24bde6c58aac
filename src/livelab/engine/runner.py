"""Session in, scorecard out: the one path the CLI, the TUI and batch grading share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from livelab.engine.language import settle_language
from livelab.engine.pipeline import AnalysisOptions, Progress, analyze_session, plan
from livelab.engine.plugins import get_analyzers, load_plugins, metric_specs, plugin_infos
from livelab.inputs.session import Session, load_probed_session
from livelab.scoring.rubric import Rubric, find_rubric, load_rubric, shipped
from livelab.scoring.scorecard import Scorecard, build_scorecard


@dataclass(frozen=True, slots=True)
class Job:
    """What to analyse and how: a session path, a rubric (name, file or None for the
    language's default) and whether to run every analyzer instead of the rubric's."""

    session: Path
    rubric: str | None = None
    run_all: bool = False
    options: AnalysisOptions | None = None


def resolve_rubric(ref: str | Path | None, language: str) -> Rubric:
    return load_rubric(find_rubric(ref, language), known_metrics=metric_specs())


def score_session(
    job: Job, progress: Progress | None = None, plugins_dirs: Iterable[Path] = ()
) -> Scorecard:
    """Load, validate, analyse and score one session; raises LivelabError on bad input."""
    load_plugins(plugins_dirs)
    session: Session
    session, probes = load_probed_session(job.session)  # the media's one probe
    # A named rubric is checked before anything is decoded or cached; the default one
    # follows the language, which may have to be detected first.
    rubric = resolve_rubric(job.rubric, session.language) if job.rubric is not None else None
    threads = (job.options or AnalysisOptions()).whisper_threads
    session = settle_language(session, threads)
    rubric = rubric or resolve_rubric(None, session.language)
    analyzers = plan(get_analyzers().values(), None if job.run_all else rubric.metrics)
    analysis = analyze_session(session, analyzers, job.options, progress, probes)
    plugins = [{"name": p.name, "version": p.version, "source": p.source} for p in plugin_infos()]
    return build_scorecard(analysis, rubric, metric_specs(), plugins)


def sample_session(language: str = "en") -> Path:
    """The bundled sample session of ``language`` (``demo_zh`` or ``demo_en``), inside the
    wheel or ``sample_sessions/`` in a checkout."""
    return shipped(f"sample_sessions/demo_{language}")


def default_language() -> str:
    """``$LIVELAB_LANG`` (``zh`` or ``en``), else ``zh`` when the system locale is Chinese,
    else ``en``."""
    import locale
    import os

    chosen = os.environ.get("LIVELAB_LANG", "").strip().lower()[:2]
    if chosen in ("zh", "en"):
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(name):
            return "zh" if value.lower().startswith("zh") else "en"
    current = locale.getlocale()[0] or ""
    return "zh" if current.lower().startswith("zh") else "en"
