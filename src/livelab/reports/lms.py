"""Grades for a learning management system: a CSV in Moodle's or Canvas's import layout,
and one feedback text file per student, from a batch's ``results.jsonl``.

Moodle (Grades → Import → CSV file): ``ID number``, ``Full name``, the grade item and its
feedback. On import, map *ID number* to the user field *ID number*, the item column to a
new or existing grade item, and the feedback column to that item's feedback.

Canvas (Grades → Import): the layout of its own gradebook export, ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then the assignment, with a
``Points Possible`` row. ``ID`` (Canvas's own user ID) is left empty, so Canvas matches
students by ``SIS User ID``, which is the session's ``student_id``.

A student is a session's ``student_id``: sessions without one, sessions that could not be
graded, and (unless asked) partial recordings are left out, each with a warning, since an
LMS cannot show why a grade is missing or partial. When one student has several
sessions, the latest recording is exported and the others are named.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from livelab.i18n import _, pick_title
from livelab.reports.gradebook import feedback_text, neutralise
from livelab.scoring.scorecard import Entry, GradeError, Scorecard

LMS_FORMATS = ("moodle", "canvas")


@dataclass(frozen=True, slots=True)
class Export:
    """The graded students, one scorecard each, and what was left out and why."""

    students: list[Scorecard]
    warnings: list[str]


def choose(entries: Sequence[tuple[int, Entry]], include_partial: bool = False) -> Export:
    """The scorecard to export for each student, in batch order, and warnings for every
    session left out."""
    warnings: list[str] = []
    chosen: dict[str, tuple[int, Scorecard]] = {}
    for line, entry in entries:
        if isinstance(entry, GradeError):
            warnings.append(_("line {n} ({path}): not graded ({error}); not exported").format(
                n=line, path=entry.path, error=entry.error))
            continue
        session = entry.session
        where = session.path or session.title
        if not session.student_id:
            warnings.append(_("line {n} ({path}): no student_id in its session.toml; not "
                              "exported").format(n=line, path=where))
            continue
        if session.partial and not include_partial:
            warnings.append(_("line {n} ({path}): a partial recording ({why}); not exported "
                              "(--include-partial exports it)").format(
                n=line, path=where, why=session.partial))
            continue
        if entry.rubric is None:
            warnings.append(_("line {n} ({path}): not scored with a rubric; not "
                              "exported").format(n=line, path=where))
            continue
        if any(not c.scored and not c.judged for c in entry.criteria):  # judges may wait
            warnings.append(_("line {n} ({path}): only {share:.0%} of the rubric could be "
                              "scored; its total ({total}) is exported as it is").format(
                n=line, path=where, share=entry.scorable_fraction, total=_points(entry.total)))
        previous = chosen.get(session.student_id)
        if previous is not None:
            keep, drop = sorted([previous, (line, entry)],
                                key=lambda p: (p[1].session.recorded_at, p[0]))[::-1]
            warnings.append(_("student {id} has several sessions: exported line {kept} "
                              "(the latest recording), not line {dropped}").format(
                id=session.student_id, kept=keep[0], dropped=drop[0]))
            chosen[session.student_id] = keep
        else:
            chosen[session.student_id] = (line, entry)
    students = [sc for _, sc in sorted(chosen.values(), key=lambda p: p[0])]
    return Export(students, warnings)


def lms_csv(export: Export, lms: str, item: str) -> str:
    """The grade CSV for ``lms`` (``moodle`` or ``canvas``), the grade item named ``item``.
    UTF-8 without a byte-order mark: it is uploaded, not opened in Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if lms == "moodle":
        writer.writerow(["ID number", "Full name", item, f"{item} (feedback)"])
        for sc in export.students:
            writer.writerow([neutralise(v) for v in (
                sc.session.student_id, sc.session.anchor, _points(sc.total),
                feedback_text(sc))])
    elif lms == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", item])
        top = max((sc.max_total for sc in export.students), default=0.0)
        writer.writerow(["Points Possible", "", "", "", "", _points(top)])
        for sc in export.students:
            writer.writerow([neutralise(v) for v in (
                sc.session.anchor, "", sc.session.student_id, "", sc.session.class_name,
                _points(sc.total))])
    else:  # pragma: no cover - the command offers only LMS_FORMATS
        raise ValueError(f"unknown LMS {lms!r}")
    return buffer.getvalue()


def feedback_file(sc: Scorecard) -> str:
    """One student's feedback as plain text, in the reader's language."""
    session = sc.session
    who = " · ".join(x for x in (session.anchor, session.student_id, session.class_name) if x)
    lines = [who, session.title, ""]
    lines.append(_("Total {points} / {maximum}").format(points=_points(sc.total),
                                                        maximum=_points(sc.max_total)))
    if sc.review is not None and sc.review.comment:
        lines += ["", sc.review.comment]
    lines += ["", _("Criteria")]
    for c in sc.criteria:
        points = (f"{_points(c.points or 0.0)}/{_points(c.weight)}" if c.scored
                  else _("unscored"))  # fmt: skip
        mark = " ✎" if c.adjusted else ""
        lines.append(f"- {pick_title(c.title)}: {points}{mark}")
        if c.feedback:
            lines.append(f"  {c.feedback}")
        if c.review_comment:
            lines.append("  " + _("Instructor: {comment}").format(comment=c.review_comment))
    first = sc.fix_first_criteria()
    if first:
        lines += ["", _("Fix these first")]
        lines += [f"{i}. {pick_title(c.title)}" for i, c in enumerate(first, 1)]
    return "\n".join(lines).rstrip() + "\n"


def feedback_name(sc: Scorecard) -> str:
    """The feedback file's name: the student ID, made safe for any file system."""
    from livelab.reports.text import slug

    return f"{slug(sc.session.student_id, fallback='student')}.txt"


def _points(value: float | None) -> str:
    return "" if value is None else f"{round(float(value), 2):g}"


def write_feedback(export: Export, folder: Path) -> list[Path]:
    """One ``<student ID>.txt`` per student in ``folder``, each in its session's language
    unless the reader chose one; returns the files written."""
    from livelab.engine.cache import write_atomic
    from livelab.i18n import for_session

    written: list[Path] = []
    for sc in export.students:
        path = folder / feedback_name(sc)
        n = 1
        while path in written:  # two IDs that read the same once made safe ("A/1", "A 1")
            n += 1
            path = folder / f"{path.stem.rsplit('~', 1)[0]}~{n}.txt"
        with for_session(sc.session.language):
            text = feedback_file(sc)
        write_atomic(path, text)
        written.append(path)
    return written


__all__ = ["LMS_FORMATS", "Export", "choose", "feedback_file", "lms_csv", "write_feedback"]
