"""The instructor's review of one session: what the teacher corrected before the work is
returned. A session names it in ``session.toml`` (``review = "review.yaml"``); it is applied
every time the session is scored, from the cache, without analysing again.

.. code-block:: yaml

    reviewer: 张老师
    comment: 整体不错，价格讲得清楚。
    criteria:
      selling-points: {fraction: 1.0, comment: 洗碗机那句其实说了，识别漏了。}
      fillers: {comment: 注意“然后”。}      # a comment alone keeps the machine's score
    dismiss:
      - {metric: coverage.compliance_flags, at: "01:23", comment: 是在念观众的评论}

The scorecard keeps both: each adjusted criterion records the machine's fraction, points
and outcome beside the instructor's, and says it was adjusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livelab.api.errors import LivelabError, Problem
from livelab.api.messages import seconds_of
from livelab.i18n import _

#: Keys a review file may have.
REVIEW_KEYS = ("rubric", "reviewer", "comment", "criteria", "dismiss", "facts", "transcript")
TRANSCRIPT_KEYS = ("at", "heard", "said")
CRITERION_KEYS = ("fraction", "comment")
DISMISS_KEYS = ("metric", "at", "comment")
#: A dismissal at a time with tenths ("00:41.4") names the finding starting within this of it;
#: at a whole second ("00:41"), the findings shown at that second (times are rounded).
AT_TOLERANCE_S = 0.1


@dataclass(frozen=True, slots=True)
class CriterionReview:
    """The instructor's word on one criterion: a fraction of its points (``None``: keep the
    machine's) and a comment."""

    fraction: float | None = None
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"fraction": self.fraction, "comment": self.comment}


@dataclass(frozen=True, slots=True)
class Dismissal:
    """A finding the instructor dismissed: its metric, when it starts, and why."""

    metric: str
    at_s: float
    comment: str = ""

    def matches(self, metric: str, start_s: float | None) -> bool:
        if metric != self.metric or start_s is None:
            return False
        if self.at_s.is_integer():
            return round(start_s) == self.at_s
        return abs(start_s - self.at_s) <= AT_TOLERANCE_S

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "at_s": self.at_s, "comment": self.comment}


@dataclass(frozen=True, slots=True)
class TranscriptFix:
    """A transcript correction: at ``at_s``, the recogniser wrote ``heard``; it was ``said``."""

    at_s: float
    heard: str
    said: str

    def to_dict(self) -> dict[str, Any]:
        return {"at_s": self.at_s, "heard": self.heard, "said": self.said}


@dataclass(frozen=True, slots=True)
class Review:
    """A review file, validated; ``file`` is its name in the session folder."""

    file: str = ""
    #: The rubric its ``criteria`` are for (``""``: any rubric with those criteria ids).
    rubric: str = ""
    reviewer: str = ""
    comment: str = ""
    criteria: Mapping[str, CriterionReview] = field(default_factory=dict)
    dismissed: Sequence[Dismissal] = ()
    #: Corrections of detected facts, key → the analyzer's own table (``selling_points:
    #: {said: [...], not_said: [...]}``); the analyzer that declares the key applies it.
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: Corrections of the transcript; the analyzers that read it run again on the corrected
    #: text (from the cached recognition: nothing is transcribed again).
    transcript: Sequence[TranscriptFix] = ()

    def dismissal(self, metric: str, start_s: float | None) -> Dismissal | None:
        """The dismissal of the finding of ``metric`` at ``start_s``, if there is one."""
        return next((d for d in self.dismissed if d.matches(metric, start_s)), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            **({"rubric": self.rubric} if self.rubric else {}),
            "reviewer": self.reviewer,
            "comment": self.comment,
            "criteria": {cid: r.to_dict() for cid, r in self.criteria.items()},
            "dismissed": [d.to_dict() for d in self.dismissed],
            **({"facts": dict(self.facts)} if self.facts else {}),
            **({"transcript": [t.to_dict() for t in self.transcript]} if self.transcript
               else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        return cls(
            file=str(data.get("file") or ""),
            rubric=str(data.get("rubric") or ""),
            reviewer=str(data.get("reviewer") or ""),
            comment=str(data.get("comment") or ""),
            criteria={
                str(cid): CriterionReview(
                    None if r.get("fraction") is None else float(r["fraction"]),
                    str(r.get("comment") or ""))
                for cid, r in (data.get("criteria") or {}).items()
            },
            dismissed=tuple(
                Dismissal(str(d["metric"]), float(d["at_s"]), str(d.get("comment") or ""))
                for d in data.get("dismissed") or []
            ),
            facts=dict(data.get("facts") or {}),
            transcript=tuple(TranscriptFix(float(t["at_s"]), str(t["heard"]), str(t["said"]))
                             for t in data.get("transcript") or []),
        )


def read_review(path: Path) -> Review:
    """Read and validate a review file; a :class:`LivelabError` names every problem, its
    key and what would be valid."""
    from livelab.inputs.yamlfile import load_yaml

    data, _raw = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LivelabError([Problem(path, _("must be a mapping of {keys}").format(
            keys=", ".join(REVIEW_KEYS)))])
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(path, message, key))

    def known(entry: dict, keys: Sequence[str], where: str = "") -> None:
        """Every key of ``entry`` is one of ``keys``; else a problem naming it and them."""
        for key in entry:
            if key not in keys:
                bad(f"{where}.{key}" if where else str(key), _(
                    "unknown key (known keys: {keys})").format(keys=", ".join(keys)))

    known(data, REVIEW_KEYS)
    text: dict[str, str] = {}
    for key in ("rubric", "reviewer", "comment"):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            bad(key, _("must be text"))
        text[key] = str(value).strip()

    criteria: dict[str, CriterionReview] = {}
    raw_criteria = data.get("criteria") or {}
    if not isinstance(raw_criteria, dict):
        bad("criteria", _("must be a mapping of criterion id → {fraction: …, comment: …}"))
        raw_criteria = {}
    for cid, entry in raw_criteria.items():
        where = f"criteria.{cid}"
        if entry is None:
            continue  # a criterion listed in the template and left empty
        if isinstance(entry, int | float) and not isinstance(entry, bool):
            entry = {"fraction": entry}
        if not isinstance(entry, dict):
            bad(where, _("must be a mapping with fraction and/or comment"))
            continue
        known(entry, CRITERION_KEYS, where)
        fraction = entry.get("fraction")
        if fraction is not None:
            if (isinstance(fraction, bool) or not isinstance(fraction, int | float)
                    or not math.isfinite(fraction) or not 0 <= fraction <= 1):
                bad(f"{where}.fraction", _(
                    "must be a number from 0 to 1 (the share of the criterion's points), "
                    "not {value}").format(value=repr(fraction)))
                continue
            fraction = float(fraction)
        comment = entry.get("comment") or ""
        if not isinstance(comment, str):
            bad(f"{where}.comment", _("must be text"))
            continue
        if fraction is not None or comment.strip():
            criteria[str(cid)] = CriterionReview(fraction, comment.strip())

    dismissed: list[Dismissal] = []
    raw_dismiss = data.get("dismiss") or []
    if not isinstance(raw_dismiss, list):
        bad("dismiss", _("must be a list of {metric: …, at: …, comment: …}"))
        raw_dismiss = []
    for i, entry in enumerate(raw_dismiss):
        where = f"dismiss[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("metric"), str):
            bad(where, _("must be a mapping with metric, at and comment"))
            continue
        known(entry, DISMISS_KEYS, where)
        at = seconds_of(entry.get("at"))
        if at is None:
            bad(f"{where}.at", _("must be a time in the recording: seconds or mm:ss, not "
                                 "{value}").format(value=repr(entry.get("at"))))
            continue
        dismissed.append(Dismissal(entry["metric"], at, str(entry.get("comment") or "").strip()))
    facts = data.get("facts") or {}
    if not isinstance(facts, dict) or not all(
            isinstance(v, dict) or v is None for v in facts.values()):
        bad("facts", _("must be a mapping of fact → {said: […], not_said: […]}"))
        facts = {}
    facts = {str(k): v for k, v in facts.items() if v}
    fixes: list[TranscriptFix] = []
    raw_fixes = data.get("transcript") or []
    if not isinstance(raw_fixes, list):
        bad("transcript", _("must be a list of {at: …, heard: …, said: …}"))
        raw_fixes = []
    for i, entry in enumerate(raw_fixes):
        where = f"transcript[{i}]"
        if not isinstance(entry, dict):
            bad(where, _("must be a mapping with at, heard and said"))
            continue
        known(entry, TRANSCRIPT_KEYS, where)
        at = seconds_of(entry.get("at"))
        heard, said = entry.get("heard"), entry.get("said")
        if at is None:
            bad(f"{where}.at", _("must be a time in the recording: seconds or mm:ss, not "
                                 "{value}").format(value=repr(entry.get("at"))))
        elif not isinstance(heard, str) or not heard.strip():
            bad(f"{where}.heard", _("must be the words as the transcript writes them"))
        elif not isinstance(said, str):
            bad(f"{where}.said", _("must be text"))
        else:
            fixes.append(TranscriptFix(at, heard.strip(), said.strip()))
    if problems:
        raise LivelabError(problems)
    return Review(path.name, text["rubric"], text["reviewer"], text["comment"], criteria,
                  tuple(dismissed), facts, tuple(fixes))


def correct_transcript(transcript: Any, fixes: Sequence[TranscriptFix], where: Path) -> Any:
    """``transcript`` with each fix applied to the segment at its time: ``heard`` becomes
    ``said`` in the segment's text, and the words it spans become one word over their
    time. A fix that does not match is an error naming the file, the key and what the
    transcript says there."""
    import dataclasses

    from livelab.api.transcript import Word

    segments = list(transcript.segments)
    problems = []
    for i, fix in enumerate(fixes):
        near = [k for k, s in enumerate(segments)
                if s.start - 1.0 <= fix.at_s <= s.end + 1.0]
        hit = next((k for k in near if fix.heard in segments[k].text), None)
        if hit is None:
            there = " / ".join(segments[k].text.strip() for k in near) or _("nothing")
            problems.append(Problem(where, _(
                "the transcript at {at} does not say {heard} (it says: {there})").format(
                    at=at_text(fix.at_s), heard=repr(fix.heard), there=repr(there[:120])),
                f"transcript[{i}].heard"))
            continue
        seg = segments[hit]
        words = list(seg.words)
        # words carry no spaces ("Every", "order"; 保, 温): match without whitespace
        texts = ["".join(w.text.split()) for w in words]
        joined, wanted = "".join(texts), "".join(fix.heard.split())
        at = joined.find(wanted)
        if words and at >= 0:
            first = last = 0
            offset = 0
            for k, text in enumerate(texts):
                if offset + len(text) <= at:
                    first = k + 1
                if offset < at + len(wanted):
                    last = k
                offset += len(text)
            before = sum(len(t) for t in texts[:first])
            lead = joined[before:at]
            tail = joined[at + len(wanted):sum(len(t) for t in texts[:last + 1])]
            merged = Word(words[first].start, words[last].end, lead + fix.said + tail, 1.0)
            words[first:last + 1] = [merged]
        elif words:
            problems.append(Problem(where, _(
                "the transcript's words at {at} do not spell {heard}: {there}").format(
                    at=at_text(fix.at_s), heard=repr(fix.heard),
                    there=repr(" ".join(texts)[:120])), f"transcript[{i}].heard"))
            continue
        segments[hit] = dataclasses.replace(
            seg, text=seg.text.replace(fix.heard, fix.said, 1), words=tuple(words))
    if problems:
        raise LivelabError(problems)
    return dataclasses.replace(transcript, segments=tuple(segments))


def applies_to(review: Review, rubric: Any) -> bool:
    """Whether the review's ``criteria`` are for ``rubric``: it names that rubric, or none."""
    return not review.rubric or review.rubric == rubric.id


def check_review(review: Review, rubric: Any, where: Path | str) -> None:
    """Every criterion the review names is one of ``rubric``'s; else an error naming the
    review file, the key and the rubric's criteria. A review written for another rubric
    (its ``rubric`` key) is not checked: its criteria are not applied."""
    if not applies_to(review, rubric):
        return
    ids = [c.id for c in rubric.criteria]
    problems = [
        Problem(where, _("unknown criterion of rubric {rubric} (its criteria: {ids})").format(
            rubric=rubric.id, ids=", ".join(ids)), f"criteria.{cid}")
        for cid in review.criteria if cid not in ids
    ]
    if problems:
        raise LivelabError(problems)


def at_text(seconds: float) -> str:
    """How the review template writes a finding's time: ``"00:41.4"`` (tenths, so that two
    findings in one second are told apart)."""
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes:02d}:{rest // 10:02d}.{rest % 10}"
    return f"{hours}:{text}" if hours else text


__all__ = ["CriterionReview", "Dismissal", "Review", "TranscriptFix", "at_text", "check_review",
           "correct_transcript", "read_review"]


def review_template(scorecard: Any) -> str:
    """A review file to fill in for ``scorecard``: every criterion with what the machine
    gave it, and every timed finding as a line to copy into ``dismiss``. Comments are in the
    reader's language; the keys are the file format's."""
    from livelab.i18n import pick_title, say

    def one_line(text: object) -> str:
        return " ".join(str(text).split())

    session = scorecard.session
    who = " · ".join(x for x in (session.title, session.anchor, session.student_id) if x)
    rubric = scorecard.rubric.id if scorecard.rubric else ""
    lines = [
        "# " + one_line(_("livelab review: {who}").format(who=who)),
        "# " + one_line(_("Rubric {rubric}. Fill in only what you change; an empty entry keeps "
                          "the machine's score.").format(rubric=rubric)),
        "# " + one_line(_("fraction: the share of the criterion's points, from 0 to 1 (1 = full "
                          "points). comment: shown to the student beside it.")),
        "# " + one_line(_("The criteria are applied under this rubric only; the comment, the "
                          "dismissals and the facts under any.")),
        f"rubric: {rubric}",
        "reviewer: \"\"",
        "comment: \"\"",
        "criteria:",
    ]
    for c in scorecard.criteria:
        machine = (c.review or {}).get("machine") or {}
        points = machine.get("points", c.points) if c.adjusted else c.points
        scored = (f"{round(points, 1):g}/{c.weight:g}" if points is not None
                  else _("unscored"))  # fmt: skip
        lines.append(f"  {c.id}:  # " + one_line(_("{title} — machine: {points}").format(
            title=pick_title(c.title), points=scored)))
    lines.append("# " + one_line(_("Findings you can dismiss: copy a line under 'dismiss:' and "
                                   "remove the '#'. A dismissal is shown on every view; to "
                                   "change a score, give the criterion a fraction.")))
    lines.append("dismiss:")
    for e in scorecard.evidence:
        if e.start_s is None:
            continue
        item = f'{{metric: {e.metric}, at: "{at_text(e.start_s)}", comment: ""}}'
        lines.append(f"#  - {item}  # {one_line(say(e.message))}")
    lines += _fact_lines(scorecard, one_line)
    lines += ["# " + one_line(_("Words the recogniser got wrong: the time of the line, the words "
                                "as the transcript writes them, and what was said; the "
                                "analyzers read the corrected text.")),
              "transcript:",
              '#  - {at: "00:54", heard: "only nineteen", said: "only $19.99"}']
    return "\n".join(lines) + "\n"


def _fact_lines(scorecard: Any, one_line: Any) -> list[str]:
    """The ``facts`` part: what each analyzer says a review may correct, commented out."""
    from livelab.engine.plugins import get_analyzers

    lines: list[str] = []
    for name, analyzer in get_analyzers().items():
        if not analyzer.facts or name not in scorecard.details:
            continue
        for key, items in analyzer.fact_choices(scorecard.details[name]).items():
            if not lines:
                lines += ["# " + one_line(_(
                    "Facts the machine got wrong: move an item under said: or not_said: and "
                    "remove the '#'; the metric, its criterion and every view follow.")),
                    "facts:"]
            lines.append(f"#  {key}:")
            lines.append("#    said: []")
            lines.append("#    not_said: []")
            if items:
                lines.append("#    # " + one_line(_("what the session has:")))
                lines += [f"#    #   {one_line(item)}" for item in items]
    return lines
