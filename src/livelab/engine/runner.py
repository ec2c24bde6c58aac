"""Session in, scorecard out: the one path the CLI, the TUI and batch grading share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from livelab.api.analysis import Signals, clock
from livelab.api.errors import LivelabError, Problem
from livelab.api.messages import Message
from livelab.engine import limits
from livelab.engine.language import settle_language
from livelab.engine.pipeline import AnalysisOptions, Progress, analyze_session, plan
from livelab.engine.plugins import (
    get_analyzers,
    load_plugins,
    metric_specs,
    plugin_failures,
    plugin_infos,
)
from livelab.i18n import _
from livelab.inputs.session import Session, load_probed_session
from livelab.media.decode import MediaInfo
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
    #: Score with ``rubric`` even when it is for another language than the session's.
    any_language: bool = False
    #: Score without the session's review file (``livelab review`` writes a new one).
    without_review: bool = False


def resolve_rubric(ref: str | Path | None, language: str) -> Rubric:
    return load_rubric(find_rubric(ref, language), known_metrics=metric_specs())


def score_session(
    job: Job,
    progress: Progress | None = None,
    plugins_dirs: Iterable[Path] = (),
    watchdog: bool = False,
) -> Scorecard:
    """Load, validate, analyse and score one session; raises LivelabError on bad input,
    and when the session runs past its time limit (:mod:`livelab.engine.limits`; with
    ``watchdog``, a hang the limit cannot interrupt ends the process)."""
    load_plugins(plugins_dirs)
    session: Session
    ignore = frozenset({"review"}) if job.without_review else frozenset()
    session, probes = load_probed_session(job.session, ignore)  # the media's one probe
    # A named rubric is checked before anything is decoded or cached; the default one
    # follows the language, which may have to be detected first.
    rubric = resolve_rubric(job.rubric, session.language) if job.rubric is not None else None
    if session.language_source == "stated":  # a stated language is refused at once
        _refuse_other_language(job, rubric, session)
    options = job.options or AnalysisOptions()
    limit = session_limit(options.time_limit_s, probes.values())
    try:
        with limits.time_limit(limit, watchdog) as deadline:
            progress = limits.tracking(progress, deadline)
            session = settle_language(session, options.whisper_threads)
            _refuse_other_language(job, rubric, session)
            rubric = rubric or resolve_rubric(None, session.language)
            analyzers = plan(get_analyzers().values(), None if job.run_all else rubric.metrics)
            analysis = analyze_session(session, analyzers, options, progress, probes)
    except limits.TimeLimit as exc:
        raise LivelabError([Problem(job.session, str(exc))]) from None
    analysis.notes.extend(load_failure_notes())
    plugins = [{"name": p.name, "version": p.version, "source": p.source} for p in plugin_infos()]
    return build_scorecard(analysis, rubric, metric_specs(), plugins)


def load_failure_notes() -> list[str]:
    """One line per plugin that could not be loaded: its metrics are missing, not zero."""
    from livelab.engine.plugins import failures

    return [
        f"plugin {f.name} ({f.source}) could not be loaded, so its metrics are missing: "
        f"{f.error}"
        for f in failures
    ]


def session_limit(asked: float | None, media: Iterable[MediaInfo]) -> float:
    """The time limit for a session whose media headers are ``media``: ``asked``
    (``--timeout``; 0 for none), else scaled with the longest track."""
    if asked is not None:
        return asked
    return limits.default_limit(max((m.duration_s for m in media), default=0.0))


def _refuse_other_language(job: Job, rubric: Rubric | None, session: Session) -> None:
    if rubric is not None and not job.any_language and (
        mismatch := language_mismatch(rubric, session)
    ):
        raise LivelabError([Problem(str(job.rubric), _("{problem} (--force scores it anyway)")
                                    .format(problem=mismatch))])


def sample_session(language: str = "en") -> Path:
    """The bundled sample session of ``language`` (``demo_zh`` or ``demo_en``), inside the
    wheel or ``sample_sessions/`` in a checkout."""
    return shipped(f"sample_sessions/demo_{language}")


def default_language() -> str:
    """The language the rule in :mod:`livelab.i18n` picks without a session:
    ``$LIVELAB_LANG``, else the system locale, else ``en``."""
    from livelab.i18n import choose

    return choose()[0]


@dataclass(slots=True)
class Checked:
    """What ``livelab check`` found in one session: the session when its manifest loads,
    every problem (each is a reason the analysis would fail or be partial) and warnings."""

    session: Session | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str | Message] = field(default_factory=list)


def check_session(
    path: Path, rubric: str | None = None, plugins_dirs: Iterable[Path] = ()
) -> Checked:
    """Validate a session as the analysis would read it, without decoding or transcribing:
    the manifest and media headers, how much of each media file can really be read, the
    product cards, every file an analyzer reads (its :meth:`~livelab.Analyzer.check`) and,
    when given, the rubric and whether its language is the session's."""
    from livelab.engine.plugins import ops_formats
    from livelab.inputs.products import read_products
    from livelab.inputs.session import inspect_session
    from livelab.media.decode import readable_extent

    load_plugins(plugins_dirs)
    probes: dict[Path, MediaInfo] = {}
    session, problems = inspect_session(path, probes=probes)
    found = Checked(session, list(problems))
    if session is None or problems:
        return found
    duration = 0.0
    for media in dict.fromkeys((session.files["recording"], session.media)):
        info = probes.get(media)
        if info is None:
            continue
        extent = readable_extent(media, info)
        duration = min(duration or extent.claimed_s, extent.readable_s)
        if extent.short:
            found.problems.append(
                Problem(media, f"{extent.describe()}: the file is truncated or corrupt")
            )
    products = read_products(session.files["products"]) if "products" in session.files else None
    if products is not None:
        found.problems.extend(products.problems)
    signals = Signals(
        session=session, duration_s=duration, products=products, ops_formats=ops_formats()
    )
    files = set(session.files) - {"recording", "audio"}
    for analyzer in get_analyzers().values():
        if not (analyzer.needs | analyzer.wants) & files:
            continue
        try:
            found.warnings.extend(analyzer.check(signals))
        except LivelabError as exc:
            found.problems.extend(exc.problems)
        except plugin_failures() as exc:  # a plugin's bug is reported, never a traceback
            found.problems.append(
                Problem(path, _("analyzer {name} could not check its inputs: {error}").format(
                    name=repr(analyzer.name), error=f"{type(exc).__name__}: {exc}"))
            )
    if rubric is not None:
        try:
            chosen = resolve_rubric(rubric, session.language)
        except LivelabError as exc:
            found.problems.extend(exc.problems)
        else:
            if mismatch := language_mismatch(chosen, session):
                found.problems.append(Problem(rubric, mismatch))
            shortest = chosen.round.length_s - chosen.round.tolerance_s if chosen.round else 0
            if duration and duration < shortest:
                found.warnings.append(_(
                    "the recording is {length} long, shorter than the {shortest} the rubric's "
                    "round asks for: {why}"
                ).format(length=clock(duration), shortest=clock(shortest),
                         why=chosen.round.assess(duration)["reason"] if chosen.round else ""))
    found.problems = list({str(p): p for p in found.problems}.values())  # each once
    found.warnings = list({str(w): w for w in found.warnings}.values())
    return found


def language_mismatch(rubric: Rubric, session: Session) -> str:
    """Why ``rubric`` does not fit ``session``'s language ("" when it does): a rubric
    written for English speaking rates (wpm) scores Mandarin (字/min) wrongly."""
    if rubric.language in ("any", session.language):
        return ""
    source = _("stated in session.toml") if session.language_source == "stated" else _("detected")
    return _(
        "rubric {rubric} is for {wanted} sessions, but this session is {language} ({source}); "
        "choose a rubric for {language} or for any language"
    ).format(rubric=repr(rubric.id), wanted=repr(rubric.language),
             language=repr(session.language), source=source)
