"""Sessions: a folder with a ``session.toml`` manifest, or a bare media file."""

from __future__ import annotations

import datetime as dt
import errno
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livelab.api.errors import LivelabError, Problem, SessionError
from livelab.api.session import Session
from livelab.api.transcript import printable
from livelab.i18n import N_, _

if TYPE_CHECKING:
    from livelab.media.decode import MediaInfo

MANIFEST = "session.toml"
LANGUAGES = ("en", "zh")
#: Manifest keys that name a file inside the session folder.
FILE_KEYS = ("recording", "audio", "products", "ops", "chat", "review")
_TEXT_KEYS = ("title", "anchor", "team", "student_id", "class", "ops_sheet")
_KNOWN_KEYS = frozenset((*_TEXT_KEYS, "roles", "language", "recorded_at", "take", *FILE_KEYS))
#: ``[take] status`` values ``livelab record`` writes: anything but ``complete`` means the
#: recording stops early (Ctrl-C, a killed recorder, a full disk); ``reason`` says why.
#: How a take ended (``[take] status``) → how every view names it.
TAKE_STATUSES = {"complete": N_("complete"), "interrupted": N_("interrupted")}
MEDIA_SUFFIXES = frozenset(
    ".mp4 .m4v .mkv .webm .mov .flv .avi .mpg .mpeg .ts "
    ".wav .flac .mp3 .m4a .aac .ogg .opus".split()
)


def load_session(
    path: Path | str, *, probe_media: bool = True, ignore: frozenset[str] = frozenset()
) -> Session:
    """Load and validate a session; raise :class:`SessionError` listing every problem."""
    session, problems = inspect_session(path, probe_media=probe_media, ignore=ignore)
    if problems or session is None:
        raise SessionError(problems)
    return session


def load_probed_session(
    path: Path | str, ignore: frozenset[str] = frozenset()
) -> tuple[Session, dict[Path, MediaInfo]]:
    """:func:`load_session`, and the media headers validating it read (media path →
    :class:`~livelab.media.decode.MediaInfo`), for the analysis to use instead of probing
    the recording again."""
    probes: dict[Path, MediaInfo] = {}
    session, problems = inspect_session(path, probes=probes, ignore=ignore)
    if problems or session is None:
        raise SessionError(problems)
    return session, probes


def inspect_session(
    path: Path | str, *, probe_media: bool = True, probes: dict[Path, MediaInfo] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> tuple[Session | None, list[Problem]]:
    """Validate a session without raising: the session (if usable) and every problem found.
    ``probes``, when given, receives the header of each media file probed; manifest file
    keys in ``ignore`` are left out (``livelab review`` scores without the review)."""
    path = Path(path)
    if path.is_dir():
        return _inspect_folder(path, probe_media, probes, ignore)
    if path.name == MANIFEST and path.is_file():
        return _inspect_folder(path.parent, probe_media, probes, ignore)
    if not path.exists():
        if path.is_symlink():
            try:
                path.resolve(strict=True)
            except (RuntimeError, OSError) as exc:
                loop = isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP
                what = (_("is a symlink loop (it points to itself)") if loop
                        else _("is a broken link"))  # fmt: skip
                return None, [Problem(path, what)]
        return None, [Problem(path, _("no such session folder or media file"))]
    if path.suffix.lower() not in MEDIA_SUFFIXES:
        return None, [
            Problem(
                path,
                _("not a session folder or a media file (known: {suffixes})").format(
                    suffixes=", ".join(sorted(MEDIA_SUFFIXES))),
            )
        ]
    problems = _probe(path, "recording", path, probes) if probe_media else []
    session = Session(root=path.parent, title=path.stem, files={"recording": path})
    return (None if problems else session), problems


MAX_MANIFEST_BYTES = 64 * 1024


def _inspect_folder(
    root: Path, probe_media: bool, probes: dict[Path, MediaInfo] | None = None,
    ignore: frozenset[str] = frozenset(),
) -> tuple[Session | None, list[Problem]]:
    manifest = root / MANIFEST
    if not manifest.is_file():
        return None, [Problem(root, _("no {manifest} in this folder (a session folder needs "
                                      "one)").format(manifest=MANIFEST))]
    try:
        size = manifest.stat().st_size
        if size > MAX_MANIFEST_BYTES:  # a manifest is a few lines: 1 GB once took 2.1 GB
            return None, [Problem(manifest, _(
                "is {size} bytes; a {manifest} may be at most {most} KiB"
            ).format(size=f"{size:,}", manifest=MANIFEST, most=MAX_MANIFEST_BYTES // 1024))]
        data = tomllib.loads(manifest.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [Problem(manifest, _("not UTF-8 text (byte {n})").format(n=exc.start))]
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem(manifest, _("not valid TOML: {why}").format(why=exc))]
    except OSError as exc:
        return None, [Problem(manifest, _("cannot be read: {why}").format(why=exc.strerror))]

    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(manifest, message, key))

    for key in sorted(set(data) - _KNOWN_KEYS):
        bad(key, _("unknown key (known keys: {keys})").format(keys=", ".join(sorted(_KNOWN_KEYS))))
    text: dict[str, str] = {}
    for key in _TEXT_KEYS:
        value = data.get(key, "")
        if not isinstance(value, str):
            bad(key, _("must be a string, not {kind}").format(kind=_type_name(value)))
        else:
            text[key] = printable(value).strip()
    language = data.get("language", "en")
    if language not in LANGUAGES:
        bad("language", _("must be one of {choices}, not {value}").format(
            choices=", ".join(LANGUAGES), value=repr(language)))
    roles = data.get("roles", {})
    if not isinstance(roles, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in roles.items()
    ):
        bad("roles", _('must be a table of role = "person" strings'))
        roles = {}
    recorded_at = data.get("recorded_at", "")
    if isinstance(recorded_at, dt.date | dt.time):
        recorded_at = recorded_at.isoformat()
    elif not isinstance(recorded_at, str):
        bad("recorded_at", _("must be a date-time, not {kind}").format(
            kind=_type_name(recorded_at)))
        recorded_at = ""
    take = data.get("take", {})
    if not isinstance(take, dict):
        bad("take", _("must be a table, not {kind}").format(kind=_type_name(take)))
        take = {}
    elif take.get("status", "complete") not in TAKE_STATUSES:
        bad("take", _("status must be one of {choices}, not {value}").format(
            choices=", ".join(TAKE_STATUSES), value=repr(take["status"])))
    elif not isinstance(take.get("reason", ""), str):
        bad("take", _("reason must be a string, not {kind}").format(
            kind=_type_name(take["reason"])))

    files: dict[str, Path] = {}
    for key in FILE_KEYS:
        if key not in data or key in ignore:
            continue
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            bad(key, _("must be a relative file path string, not {kind}").format(
                kind=_type_name(value)))
            continue
        resolved, message = confine(root, value)
        if message:
            bad(key, message)
            continue
        assert resolved is not None
        files[key] = resolved
        if probe_media and key in ("recording", "audio"):
            problems.extend(_probe(resolved, key, resolved, probes))
    if (
        "recording" not in files
        and "audio" not in files
        and not any(p.key in ("recording", "audio") for p in problems)
    ):
        bad("recording", _("a session needs a recording (or at least an audio file)"))
    if "recording" not in files and "audio" in files:
        files["recording"] = files["audio"]

    if problems:
        return None, problems
    session = Session(
        root=root,
        title=text.get("title") or root.name,
        language=language,
        anchor=text.get("anchor", ""),
        team=text.get("team", ""),
        student_id=text.get("student_id", ""),
        class_name=text.get("class", ""),
        ops_sheet=text.get("ops_sheet", ""),
        roles={printable(k): printable(v) for k, v in roles.items()},
        recorded_at=str(recorded_at),
        files=files,
        manifest=manifest,
        take=_plain(take),
        language_source="stated" if "language" in data else "default",
    )
    return session, []


def session_warnings(metadata: Mapping[str, Any]) -> list[str]:
    """The lines the reports show above the scores for a scorecard's ``session``: a take
    that stopped early ("interrupted take: <reason>") and a recording only part of which
    could be analysed ("partial: <why>"); empty for a whole, complete session."""
    lines = []
    take = metadata.get("take") or {}
    if take.get("status", "complete") != "complete":
        reason = take.get("reason") or _("the recording stopped early")
        lines.append(_("interrupted take: {reason}").format(reason=reason))
    if metadata.get("partial"):
        lines.append(_("partial: {why}").format(why=metadata["partial"]))
    return lines


def language_line(metadata: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The line a report shows about the session's language, and whether it is a warning:
    "language detected: zh (p = 0.99)", or the detector's warning; ``None`` for a stated
    language the detector agreed with (or that was not checked)."""
    found = metadata.get("language_detection") or {}
    if found.get("warning"):
        return str(found["warning"]), True
    if metadata.get("language_source") == "detected":
        p = float(found.get("probability") or 0.0)
        line = _("language detected: {language} (p = {p})")
        return line.format(language=metadata.get("language"), p=f"{p:.2f}"), False
    return None


def _plain(value: Any) -> Any:
    """TOML values as JSON-ready data (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def confine(root: Path, relative: str) -> tuple[Path | None, str]:
    """Resolve ``relative`` inside ``root``; refuse absolute paths and escapes (``..``,
    symlinks)."""
    candidate = Path(relative)
    if candidate.is_absolute() or relative.startswith(("/", "\\")) or ":" in candidate.parts[0]:
        return None, _("{path} is an absolute path; use a path relative to the session "
                       "folder").format(path=repr(relative))
    try:
        base = root.resolve()
        target = (base / candidate).resolve()
    except (RuntimeError, OSError):  # Python raises RuntimeError for a symlink loop
        return None, _("{path} is a symlink loop (it points to itself)").format(path=repr(relative))
    if not target.is_relative_to(base):
        return None, _("{path} points outside the session folder").format(path=repr(relative))
    if not target.exists():
        return None, _("file {path} does not exist").format(path=repr(relative))
    if not target.is_file():
        return None, _("{path} is not a file").format(path=repr(relative))
    return target, ""


def _probe(
    path: Path, key: str, shown: Path, probes: dict[Path, MediaInfo] | None = None
) -> list[Problem]:
    from livelab.media.decode import probe  # PyAV loads only when media is checked

    try:
        info = probe(path)
    except LivelabError as exc:
        return [Problem(shown, p.message, key) for p in exc.problems]
    if probes is not None:
        probes[path] = info
    return []


def _type_name(value: object) -> str:
    names = {dict: N_("a table"), list: N_("an array"), bool: N_("a boolean"),
             int: N_("an integer"), float: N_("a number")}  # fmt: skip
    return _(names[type(value)]) if type(value) in names else type(value).__name__
