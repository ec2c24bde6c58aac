"""Grade a whole class in one batch: find the sessions, grade them in parallel, write the
gradebook, results and reports; safe to interrupt and cheap to re-run.

Re-running with the same ``--out`` skips every session whose input files, plugins, rubric
and options are unchanged since its last successful grade (the state lives in
``<out>/.livelab-grade/``, written atomically after each session). Changing only the rubric
re-scores every session from its analysis cache in ``<session>/.livelab/``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livelab import i18n
from livelab.api.errors import LivelabError, Problem
from livelab.engine.limits import hard_limit
from livelab.engine.plugins import failure_text, plugin_failures
from livelab.engine.version import package_version
from livelab.i18n import _
from livelab.reports.gradebook import Graded
from livelab.reports.text import report_name
from livelab.scoring.scorecard import Entry, GradeError, Scorecard, read_scorecard

STATE_DIR = ".livelab-grade"
STATE_FILE = "state.json"
STATE_FORMAT = 1
EXIT_SOME_FAILED = 1
_GLOB_CHARS = re.compile(r"[*?\[]")


# --- finding the sessions ------------------------------------------------------------


def discover(paths: Iterable[str | Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """The sessions named by ``paths``: session folders, media files, folders of sessions
    (searched recursively) and glob patterns; in the order given, each once."""
    from livelab.inputs.session import MANIFEST

    excluded = {_real(p) for p in exclude}
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = _real(path)
        if key not in seen and key not in excluded:
            seen.add(key)
            found.append(path)

    for raw in paths:
        raw = str(raw)
        if _GLOB_CHARS.search(raw) and not Path(raw).exists():
            matches = sorted(glob.glob(os.path.expanduser(raw), recursive=True))
            if not matches:
                raise LivelabError([Problem(raw, _("matches no files or folders"))])
            candidates, explicit = [Path(m) for m in matches], False
        else:
            path = Path(raw).expanduser()
            if path.is_symlink() and not path.exists():  # a loop, or a link to nowhere:
                add(path)  # graded as an error row that says which, like any bad session
                continue
            if not path.exists():
                raise LivelabError(
                    [Problem(path, _("no such session folder, media file or folder of sessions"))]
                )
            candidates, explicit = [path], True
        before = len(found)
        for candidate in candidates:
            if candidate.is_file():
                if candidate.name == MANIFEST:
                    add(candidate.parent)
                elif explicit or _is_media(candidate):
                    add(candidate)
            elif candidate.is_dir():
                for session in _sessions_in(candidate, excluded):
                    add(session)
        if len(found) == before and explicit and Path(raw).is_dir():
            raise LivelabError(
                [
                    Problem(
                        raw,
                        _("no sessions found (a session is a folder with {manifest} or a "
                          "media file)").format(manifest=MANIFEST),
                    )
                ]
            )
    return found


def _is_media(path: Path) -> bool:
    from livelab.inputs.session import MEDIA_SUFFIXES

    return path.suffix.lower() in MEDIA_SUFFIXES


def _real(path: Path) -> Path:
    """Where ``path`` really is; a symlink loop resolves as far as it goes, never raises."""
    return Path(os.path.realpath(path))


def _sessions_in(
    folder: Path, excluded: set[Path], depth: int = 0, visited: set[Path] | None = None
) -> list[Path]:
    """Sessions under ``folder``: each real folder is searched once (twenty ``ln -s . x``
    links in a submission once made this search run for ever), at most 6 levels deep."""
    from livelab.inputs.session import MANIFEST

    visited = set() if visited is None else visited
    real = _real(folder)
    if real in visited:
        return []
    visited.add(real)
    if (folder / MANIFEST).is_file():
        return [folder]
    if depth > 6 or real in excluded:  # a class tree is shallow
        return []
    sessions: list[Path] = []
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:  # unreadable: the folder holds no session livelab can grade
        return []
    for child in children:
        if child.name.startswith("."):  # .livelab caches, .git, hidden state
            continue
        if child.is_dir():
            sessions.extend(_sessions_in(child, excluded, depth + 1, visited))
        elif child.is_file() and _is_media(child):
            sessions.append(child)
    return sessions


# --- one session, in a worker process --------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeTask:
    """Everything a worker needs to grade one session (plain data: it is pickled)."""

    n: int
    session: str
    rubric: str | None
    run_all: bool = False
    fps: float = 2.0
    model: str | None = None
    plugins_dirs: tuple[str, ...] = ()
    whisper_threads: int = 1
    any_language: bool = False  # --force: a rubric of another language scores anyway
    use_cache: bool = True
    #: The session's time limit in seconds (0: none), worked out when the batch starts.
    timeout_s: float = 0.0
    #: The interface language of the run: a worker process starts in English otherwise,
    #: and the errors it words would not be the ones the teacher reads elsewhere.
    language: str = "en"


def grade_one(
    task: GradeTask, report: Callable[[str, float | None, str], None]
) -> dict[str, Any]:
    """Analyse and score one session. Bad input and plugin crashes come back as an
    ``error`` (never an exception), so one session can never stop the batch. The
    scorecard travels back as its JSON (plain data: it is pickled)."""
    import traceback

    from livelab.engine.pipeline import AnalysisOptions
    from livelab.engine.runner import Job, score_session
    from livelab.media.decode import FrameOptions

    started = time.perf_counter()
    options = AnalysisOptions(
        frames=FrameOptions(sample_fps=task.fps),
        model=task.model,
        whisper_threads=task.whisper_threads,
        use_cache=task.use_cache,
        time_limit_s=task.timeout_s,
    )
    out: dict[str, Any] = {"pid": os.getpid()}
    before = (i18n.current(), i18n.source())
    i18n.activate(task.language, "grade")
    try:
        job = Job(Path(task.session), task.rubric, task.run_all, options, task.any_language)
        scorecard = score_session(job, report, [Path(d) for d in task.plugins_dirs])
        out["scorecard"] = scorecard.to_dict()
    except LivelabError as exc:
        out["error"] = _problems(exc)
    except plugin_failures() as exc:  # a plugin's sys.exit() costs this session only
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        out["error"] = f"{failure_text(exc)}{at}"
    finally:
        i18n.activate(*before)
    out["seconds"] = time.perf_counter() - started
    out.update(_usage())
    return out


def _usage() -> dict[str, float]:
    """This worker's CPU seconds so far and peak resident memory (KiB), where measurable."""
    try:
        import resource
    except ImportError:  # Windows
        return {"cpu_s": time.process_time(), "max_rss_kb": 0}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss  # bytes on macOS
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_kb": rss}


# --- the batch ---------------------------------------------------------------------------


@dataclass(slots=True)
class BatchOptions:
    out: Path
    rubric: str | None = None
    workers: int = 0
    executor: str = "local"
    ray_address: str | None = None
    run_all: bool = False
    fps: float = 2.0
    model: str | None = None
    plugins_dirs: tuple[Path, ...] = ()
    db: Path | None = None
    force: bool = False
    history: bool = True
    #: Count sessions only part of whose recording could be read in the class statistics.
    include_partial: bool = False
    #: Read and write the sessions' analysis caches (``--no-cache``: analyse everything).
    use_cache: bool = True
    #: Each session's time limit in seconds (``--timeout``; 0: none); None: scaled with
    #: its recording's length.
    timeout: float | None = None


@dataclass(slots=True)
class BatchResult:
    graded: list[Graded]  # in batch order
    skipped: int = 0
    newly_graded: int = 0
    worker_stats: dict[int, dict[str, float]] = field(default_factory=dict)  # pid → stats
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(1 for g in self.graded if not g.ok)

    @property
    def partial(self) -> int:
        return sum(1 for g in self.graded if g.ok and g.entry.partial)


class _State:
    """``<out>/.livelab-grade/``: per session, the fingerprint of its last successful grade
    and its scorecard file. Rewritten atomically after every session."""

    def __init__(self, out: Path):
        self.dir = out / STATE_DIR
        self.path = self.dir / STATE_FILE
        self.sessions: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if data.get("format") == STATE_FORMAT and isinstance(data.get("sessions"), dict):
                self.sessions = data["sessions"]
        except (OSError, ValueError, AttributeError):
            pass  # no state (first run) or unreadable: grade everything

    def done(self, key: str, fingerprint: str | None) -> Scorecard | None:
        """The stored scorecard when ``key`` was graded with the same fingerprint."""
        entry = self.sessions.get(key)
        if not entry or fingerprint is None or entry.get("fingerprint") != fingerprint:
            return None
        try:
            return read_scorecard(self.dir / entry["scorecard"])
        except (LivelabError, KeyError, TypeError):
            return None  # unreadable: grade it again

    def save(self, key: str, fingerprint: str | None, scorecard: Scorecard) -> None:
        from livelab.engine.cache import key_of, write_atomic

        name = f"scorecards/{key_of(key)[:20]}.json"
        write_atomic(self.dir / name, scorecard.to_json(indent=None))
        self.sessions[key] = {"fingerprint": fingerprint, "scorecard": name}
        self._write()

    def forget(self, key: str) -> None:
        if self.sessions.pop(key, None) is not None:
            self._write()

    def _write(self) -> None:
        from livelab.engine.cache import write_atomic

        doc = {"format": STATE_FORMAT, "sessions": self.sessions}
        write_atomic(self.path, json.dumps(doc, ensure_ascii=False, indent=1))


def _stamps(paths: Iterable[Path]) -> list[list[Any]]:
    """Each input's stamp. The ctime (and inode) are in it because no program can set them
    back: an edit that keeps the size and restores the mtime still counts as a change."""
    out = []
    for p in sorted(set(paths)):
        st = p.stat()
        out.append([str(p), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return out


class _Fingerprints:
    """What a grade depends on: input file stamps (size, times, inode), rubric hash, plugin and
    analyzer versions and the analysis options. ``None`` means "always grade"."""

    def __init__(self, options: BatchOptions, rubric_path: Path | None):
        from livelab.engine.plugins import get_analyzers, plugin_infos

        self.options = options
        self.rubric_path = rubric_path
        self.plugins = sorted((p.name, p.version) for p in plugin_infos())
        self.analyzers = sorted((a.name, a.version) for a in get_analyzers().values())
        self._rubric_sha: dict[str, str | None] = {}

    def rubric_sha(self, language: str) -> str | None:
        if language not in self._rubric_sha:
            from livelab.engine.runner import resolve_rubric

            try:
                ref = self.rubric_path if self.rubric_path is not None else None
                self._rubric_sha[language] = resolve_rubric(ref, language).sha256
            except LivelabError:
                self._rubric_sha[language] = None
        return self._rubric_sha[language]

    def of(self, path: Path) -> tuple[str | None, dict[str, str]]:
        """(fingerprint or None, title/anchor/team for error rows)."""
        from livelab.engine.cache import key_of
        from livelab.inputs.session import inspect_session

        meta = {"title": path.stem if path.is_file() else path.name}
        try:
            session, problems = inspect_session(path, probe_media=False)
        except OSError:
            return None, meta
        if session is None or problems:
            return None, meta
        meta = {"title": session.title, "anchor": session.anchor, "team": session.team,
                **({"student_id": session.student_id} if session.student_id else {}),
                **({"class": session.class_name} if session.class_name else {})}
        if session.language_source == "stated":
            sha = self.rubric_sha(session.language)
        else:  # the language is detected when graded: either default rubric may apply
            shas = [self.rubric_sha(lang) for lang in ("en", "zh")]
            sha = None if None in shas else key_of(*shas)
        if sha is None:
            return None, meta
        files = list(session.files.values())
        if session.manifest is not None:
            files.append(session.manifest)
        if "products" in session.files:  # the cards' pictures are inputs of presence
            from livelab.inputs.products import read_products

            cards = read_products(session.files["products"]).cards
            files += [c.image for c in cards if c.image is not None and c.image.is_file()]
        try:
            stamps = _stamps(files)
        except OSError:
            return None, meta
        o = self.options
        return (
            key_of(
                STATE_FORMAT,
                package_version(),
                stamps,
                sha,
                self.plugins,
                self.analyzers,
                o.run_all,
                o.fps,
                o.model,
            ),
            meta,
        )


def _html_module() -> Any:
    """``livelab.reports.html`` when it is present (it renders the reports), else ``None``."""
    import importlib

    try:
        module = importlib.import_module("livelab.reports.html")
    except ModuleNotFoundError as exc:
        if exc.name == "livelab.reports.html":
            return None
        raise
    if not hasattr(module, "render_report") or not hasattr(module, "render_class_summary"):
        return None
    return module


def shared_student_ids(metas: Sequence[tuple[str, Mapping[str, str]]]) -> list[str]:
    """A warning for each student ID two different anchors use in one class (a typo, or a
    copied session.toml): their grades would be filed under one student."""
    names: dict[tuple[str, str], dict[str, list[str]]] = {}
    for path, meta in metas:
        sid = meta.get("student_id", "")
        if sid:
            key = (meta.get("class", ""), sid)
            names.setdefault(key, {}).setdefault(meta.get("anchor", ""), []).append(path)
    warnings = []
    for (klass, sid), by_anchor in names.items():
        if len(by_anchor) < 2:
            continue
        who = "; ".join(f"{anchor!r} ({', '.join(paths)})" for anchor, paths in by_anchor.items())
        line = (_("student ID {id} is used by {n} different anchors in class {klass}: {who}")
                if klass else _("student ID {id} is used by {n} different anchors: {who}"))
        warnings.append(line.format(id=repr(sid), n=len(by_anchor), klass=repr(klass), who=who))
    return warnings


class _Outputs:
    """gradebook.csv and .xlsx, class_stats.csv, results.jsonl, reports/ and summary.html
    in ``--out``."""

    def __init__(self, out: Path, notes: list[str], include_partial: bool = False):
        self.include_partial = include_partial
        self.out = out
        self.notes = notes
        self.html = _html_module()
        if self.html is None:
            notes.append(_("HTML reports skipped: livelab.html is not available in this "
                           "install"))

    def report(self, n: int, scorecard: Scorecard) -> None:
        """Write session ``n``'s report, unless the file already says exactly that: a
        skipped session's report is rewritten when a run with other sessions left another
        student's report under its name."""
        if self.html is None:
            return
        from livelab.engine.cache import write_atomic

        path = self.out / "reports" / report_name(n, scorecard)
        try:
            page = self.html.render_report(scorecard)
            try:
                if path.read_text(encoding="utf-8") == page:
                    return
            except (OSError, ValueError):
                pass
            write_atomic(path, page)
        except Exception as exc:  # a report bug must not lose the grades
            self.notes.append(_("report {name} failed: {error}").format(
                name=path.name, error=f"{type(exc).__name__}: {exc}"))

    def tables(self, graded: Sequence[Graded | None]) -> None:
        from livelab.engine.cache import write_atomic
        from livelab.reports.gradebook import write_gradebook

        done = [g for g in graded if g is not None]
        write_gradebook(self.out, done, self.include_partial)
        if self.html is None:
            return
        entries = [g.entry for g in done]
        links = [
            f"reports/{report_name(g.n, g.scorecard)}" if g.scorecard is not None else None
            for g in done
        ]
        try:
            page = self.html.render_class_summary(entries, links, self.include_partial)
            write_atomic(self.out / "summary.html", page)
        except Exception as exc:
            note = _("summary.html failed: {error}").format(error=f"{type(exc).__name__}: {exc}")
            if note not in self.notes:
                self.notes.append(note)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold ``out`` for this run: two grade runs into one folder would each overwrite the
    other's gradebook and state. The lock is the kernel's (flock), so a killed run never
    leaves it behind."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    folder = out / ".livelab-grade"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            who = handle.read().strip() or _("another process")
            raise LivelabError([Problem(out, _(
                "another livelab grade ({who}) is writing here; wait for it to finish or "
                "choose another --out"
            ).format(who=who))]) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_batch(
    paths: Sequence[str | Path],
    options: BatchOptions,
    display: Any = None,
) -> BatchResult:
    """Grade every session in ``paths`` into ``options.out``. ``display`` (see
    :class:`Display`) shows progress. Ctrl-C (KeyboardInterrupt) stops the workers after
    writing the outputs of every finished session, then propagates."""
    from contextlib import closing

    from livelab.engine.plugins import executors, load_plugins
    from livelab.engine.runner import load_failure_notes, resolve_rubric
    from livelab.reports.history import record_quietly

    started = time.perf_counter()
    load_plugins(options.plugins_dirs)
    rubric_path: Path | None = None
    if options.rubric is not None:
        rubric_path = resolve_rubric(options.rubric, "en").path.resolve()  # bad rubric: exit 2
    available = executors()
    if options.executor not in available:
        known = ", ".join(sorted(available)) or _("none")
        raise LivelabError(_("unknown executor {name} (available: {known})").format(
            name=repr(options.executor), known=known))
    executor: Any = available[options.executor]
    out = options.out
    sessions = discover(paths, exclude=[out])
    if not sessions:
        raise LivelabError(_("no sessions to grade"))
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):  # a second grade into the same --out stops here, saying so

        state = _State(out)
        fingerprints = _Fingerprints(options, rubric_path)
        slots: list[Graded | None] = [None] * len(sessions)
        result = BatchResult(graded=[], notes=load_failure_notes())
        outputs = _Outputs(out, result.notes, options.include_partial)
        tasks: list[GradeTask] = []
        keys: dict[int, tuple[str, str | None, dict[str, str]]] = {}
        for n, path in enumerate(sessions, 1):
            key = str(_real(path))
            fingerprint, meta = fingerprints.of(path)
            keys[n] = (key, fingerprint, meta)
            previous = None if options.force else state.done(key, fingerprint)
            if previous is not None:
                slots[n - 1] = Graded(n, str(path), previous)
                result.skipped += 1
                continue
            tasks.append(
                GradeTask(
                    n=n,
                    session=str(path),
                    rubric=None if rubric_path is None else str(rubric_path),
                    run_all=options.run_all,
                    fps=options.fps,
                    model=options.model,
                    plugins_dirs=tuple(str(Path(d).resolve()) for d in options.plugins_dirs),
                    any_language=options.force,
                    use_cache=options.use_cache,
                    timeout_s=_time_limit(path, options.timeout),
                    language=i18n.current(),
                )
            )
        result.notes.extend(shared_student_ids(
            [(str(path), keys[n][2]) for n, path in enumerate(sessions, 1)]))
        if options.executor == "local" and tasks:
            # Share the cores out: each worker's speech thread(s) run beside its video pass.
            from dataclasses import replace

            from livelab.builtin.executors import default_workers
            from livelab.engine.pipeline import whisper_threads_for

            running = min(options.workers or default_workers(), len(tasks))
            tasks = [replace(t, whisper_threads=whisper_threads_for(running)) for t in tasks]
        if display is not None:
            display.start(len(sessions), result.skipped, tasks)
        history_warned = False
        try:
            results = executor.map(
                grade_one,
                tasks,
                options.workers,
                on_stage=display.stage if display is not None else None,
                address=options.ray_address,
                # A worker still busy a while after its session's limit is stopped.
                time_limit=lambda t: hard_limit(t.timeout_s) if t.timeout_s else None,
            )
            with closing(results):
                for task, outcome in results:
                    key, fingerprint, meta = keys[task.n]
                    entry: Entry
                    if isinstance(outcome, BaseException):
                        entry = GradeError(task.session, _reason(outcome), meta)
                    elif "scorecard" in outcome:
                        entry = read_scorecard(outcome["scorecard"])
                    else:
                        entry = GradeError(task.session, outcome["error"], meta)
                    graded = Graded(task.n, task.session, entry)
                    if isinstance(outcome, dict):
                        stats = result.worker_stats.setdefault(
                            outcome["pid"],
                            {"sessions": 0, "seconds": 0.0, "cpu_s": 0.0, "max_rss_kb": 0},
                        )
                        stats["sessions"] += 1
                        stats["seconds"] += outcome["seconds"]
                        stats["cpu_s"] = max(stats["cpu_s"], outcome["cpu_s"])
                        stats["max_rss_kb"] = max(stats["max_rss_kb"], outcome["max_rss_kb"])
                    slots[task.n - 1] = graded
                    result.newly_graded += 1
                    if isinstance(entry, Scorecard):
                        scorecard = entry
                        state.save(key, fingerprint, scorecard)
                        outputs.report(task.n, scorecard)
                        if options.history:
                            warning = record_quietly(scorecard, "grade", options.db)
                            if warning and not history_warned:
                                result.notes.append(warning)
                                history_warned = True
                    else:
                        state.forget(key)
                    outputs.tables(slots)
                    if display is not None:
                        display.finished(task, graded)
        finally:
            # Also on Ctrl-C: the outputs hold every session that finished, nothing half-done.
            for g in slots:
                if g is not None and g.scorecard is not None:
                    outputs.report(g.n, g.scorecard)
            outputs.tables(slots)
            if display is not None:
                display.stop()
            result.graded = [g for g in slots if g is not None]
        result.seconds = time.perf_counter() - started
        return result


def _time_limit(path: Path, asked: float | None) -> float:
    """The session's limit: ``asked``, else scaled with its recording's length (a session
    that cannot be read gets the fixed allowance: it fails in its worker, saying why)."""
    from livelab.engine.runner import session_limit
    from livelab.inputs.session import inspect_session
    from livelab.media.decode import MediaInfo

    if asked is not None:
        return asked
    probes: dict[Path, MediaInfo] = {}
    try:
        inspect_session(path, probes=probes)
    except (LivelabError, OSError):
        pass
    return session_limit(None, probes.values())


def _problems(exc: LivelabError) -> str:
    """Every problem on one line (a gradebook cell), each naming its file."""
    from livelab.i18n import problem_text

    return "; ".join(" ".join(problem_text(p).split()) for p in exc.problems)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, LivelabError):
        return _problems(exc)
    from livelab.builtin.executors import TimedOut, WorkerDied

    if isinstance(exc, WorkerDied):
        return str(exc)
    if isinstance(exc, TimedOut):
        where = f" while {exc.stage}" if exc.stage else ""
        return (f"stopped after {exc.seconds:g} s{where}: the worker did not stop at the "
                "session's time limit (--timeout sets it)")
    return f"{type(exc).__name__}: {exc}"


# --- progress ----------------------------------------------------------------------------


class Display:
    """Rich progress on stderr: sessions done/total with time left, and one line per running
    session with its current stage."""

    def __init__(self, console: Any):
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.overall: Any = None
        self.total = self.done = 0
        self.lines: dict[int, Any] = {}
        self.names: dict[int, str] = {}

    def start(self, total: int, skipped: int, tasks: list[GradeTask]) -> None:
        self.progress.start()
        unchanged = f" ({skipped} unchanged, skipped)" if skipped else ""
        self.total = len(tasks)
        self.overall = self.progress.add_task(
            f"grading{unchanged}", total=self.total, count=f"0/{self.total}"
        )
        self.names = {t.n: Path(t.session).name for t in tasks}

    def stage(self, task: GradeTask, stage: str, fraction: float | None, message: str) -> None:
        from rich.markup import escape

        text = f"  {escape(self.names.get(task.n, str(task.n)))}: {escape(message)}"
        if task.n not in self.lines:
            self.lines[task.n] = self.progress.add_task(text, total=None, count="")
        self.progress.update(
            self.lines[task.n],
            description=text,
            completed=fraction or 0,
            total=1.0 if fraction is not None else None,
        )

    def finished(self, task: GradeTask, graded: Any) -> None:
        line = self.lines.pop(task.n, None)
        if line is not None:
            self.progress.remove_task(line)
        self.done += 1
        self.progress.update(self.overall, advance=1, count=f"{self.done}/{self.total}")

    def stop(self) -> None:
        self.progress.stop()
