"""The student practice app (``livelab tui``): data shown, Pilot-driven flows, snapshots.

Snapshots use a fixed scorecard (tests/data/tui/scorecard_demo.json, made once from the
sample session with ``livelab analyze --all --json`` and stripped of times and paths) and
a fake history with fixed dates, so they do not change from run to run."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import shutil
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from livelab.reports.history import Attempt
from livelab.reports.text import span_text, sparkline
from livelab.scoring.scorecard import Scorecard, read_scorecard
from livelab.tui import data
from livelab.tui.dialogs.open_session import check_session_path
from tests.conftest import REPO

SAMPLE = REPO / "sample_sessions" / "demo_en"
DEMO = REPO / "tests" / "data" / "tui" / "scorecard_demo.json"
#: The Mandarin sample analysed the same way: its evidence is messages as data.
DEMO_ZH = REPO / "tests" / "data" / "tui" / "scorecard_demo_zh.json"


# --- fixtures ---------------------------------------------------------------------------


@dataclass
class FakeHistory:
    """``livelab.reports.history.History``'s API in memory; ``record`` keeps what it was given."""

    rows: list[Attempt] = field(default_factory=list)
    recorded: list[tuple[Scorecard, str]] = field(default_factory=list)

    def record(self, scorecard: Scorecard, kind: str = "analyze") -> int:
        """As the real one: a recording scored again with the same rubric is updated."""
        self.recorded.append((scorecard, kind))
        session = scorecard.session
        rubric = scorecard.rubric.id if scorecard.rubric else ""
        self.rows = [r for r in self.rows if (r.recording_sha256, r.rubric_id) != (
            session.recording_sha256 or session.path, rubric)]  # fmt: skip
        self.rows.append(
            Attempt(
                id=len(self.rows) + 1,
                recorded_at=f"2026-12-{len(self.rows) + 1:02d}T10:00:00",
                kind=kind,
                session_path=session.path,
                title=session.title,
                anchor=session.anchor,
                team=session.team,
                rubric_id=scorecard.rubric.id if scorecard.rubric else "",
                rubric_sha256="",
                total=scorecard.total,
                max_total=scorecard.max_total,
                scorable_fraction=scorecard.scorable_fraction,
                criteria={c.id: c.points for c in scorecard.criteria},
                recording_sha256=session.recording_sha256 or session.path,
                percent=scorecard.percent,
                scored_at=f"2026-12-{len(self.rows) + 1:02d}T10:05:00",
                titles={c.id: c.title for c in scorecard.criteria},
            )
        )
        return len(self.rows)

    def attempts(
        self,
        anchor: str | None = None,
        session_path: str | None = None,
        limit: int = 200,
        rubric_id: str | None = None,
    ) -> list[Attempt]:
        rows = [r for r in self.rows if anchor is None or r.anchor == anchor]
        rows = [r for r in rows if rubric_id is None or r.rubric_id == rubric_id]
        return sorted(rows, key=lambda r: r.recorded_at, reverse=True)[:limit]

    def anchors(self) -> list[str]:
        return sorted({r.anchor for r in self.rows})


def attempt(n: int, path: Path, total: float, pace: float | None, dead_air: float) -> Attempt:
    return Attempt(
        id=n,
        recorded_at=f"2026-11-2{n}T10:00:00",
        kind="analyze",
        session_path=str(path / "session.toml"),
        title=f"AquaKeep bottle — rehearsal {n}",
        anchor="Demo Student",
        team="Demo Team",
        rubric_id="anchor-basics-en",
        rubric_sha256="x",
        total=total,
        max_total=100.0,
        scorable_fraction=1.0,
        criteria={"speaking-rate": pace, "dead-air": dead_air},
        recording_sha256=f"{n:064x}",  # each attempt is another recording
        percent=total,
        scored_at=f"2026-11-2{n}T10:05:00",
        titles={"speaking-rate": "Speaking pace", "dead-air": "No dead air"},
    )


@pytest.fixture
def scorecard() -> Scorecard:
    return read_scorecard(DEMO)


@pytest.fixture
def zh_scorecard() -> Scorecard:
    """The demo scorecard retitled in Mandarin with two Mandarin lines (double-width text)."""
    sc = json.loads(DEMO.read_text(encoding="utf-8"))
    sc["session"].update(title="保温杯直播练习 第一次", anchor="王小明", language="zh")
    sc["transcript"]["language"] = "zh"
    sc["transcript"]["segments"][:2] = [
        {
            "start": 0.2,
            "end": 3.6,
            "text": "大家好，欢迎来到直播间！",
            "words": [
                [0.2, 0.9, "大家", 0.9],
                [0.9, 1.3, "好，", 0.9],
                [1.4, 2.0, "欢迎", 0.9],
                [2.0, 2.6, "来到", 0.9],
                [2.6, 3.6, "直播间！", 0.9],
            ],
        },
        {
            "start": 4.0,
            "end": 6.7,
            "text": "嗯，今天给大家带来这款保温杯。",
            "words": [
                [4.0, 4.4, "嗯，", 0.9],
                [4.5, 5.0, "今天", 0.9],
                [5.0, 5.4, "给", 0.9],
                [5.4, 5.8, "大家", 0.9],
                [5.8, 6.2, "带来", 0.9],
                [6.2, 6.7, "这款保温杯。", 0.9],
            ],
        },
    ]
    sc["details"]["pace"]["fillers"] = {"嗯": 1}
    sc["details"]["pace"]["filler_spans"] = [[4.0, 4.4, "嗯"]]
    sc["highlights"] = [h for h in sc["highlights"] if h["kind"] != "filler"] + [
        {"start_s": 4.0, "end_s": 4.4, "kind": "filler", "label": "filler", "text": "嗯"}
    ]
    sc["criteria"][0]["title"] = "语速适中"
    return read_scorecard(sc)


@pytest.fixture
def class_folder(tmp_path: Path) -> Path:
    """A class folder: a pre-analysed copy of the sample (its cache kept) and a bare recording."""
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(SAMPLE, folder / "demo_en")
    shutil.copyfile(SAMPLE / "pitch.mp4", folder / "warmup.mp4")
    (folder / "notes").mkdir()  # not a session: no manifest, no recording
    return folder


@pytest.fixture(autouse=True)
def _private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVELAB_HISTORY_DB", str(tmp_path / "history.sqlite3"))


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on a fresh event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def make_app(**kwargs: Any) -> Any:
    from livelab.tui.app import LivelabApp

    return LivelabApp(**kwargs)


# --- what is shown (no Textual) ---------------------------------------------------------


def test_find_sessions_lists_folders_with_manifests_and_recordings(class_folder: Path) -> None:
    entries = data.find_sessions(class_folder)
    assert [e.path.name for e in entries] == ["demo_en", "warmup.mp4"]
    assert entries[0].title == "AquaKeep bottle — rehearsal 1"
    assert entries[1].title == "warmup.mp4"
    # Inside a session folder the recording is part of it, not a second session.
    assert [e.path for e in data.find_sessions(class_folder / "demo_en")] == [
        class_folder / "demo_en"
    ]


def test_history_rows_match_folder_entries_however_the_path_was_spelled(
    class_folder: Path,
) -> None:
    rows = [attempt(2, class_folder / "demo_en", 80.0, 8.0, 7.0)]
    latest = data.latest_by_session(rows)
    assert data.session_key(class_folder / "demo_en") in latest
    assert data.session_key(class_folder / "demo_en" / "session.toml") in latest


def test_transcript_marks_fillers_selling_points_and_calls_to_action(
    scorecard: Scorecard,
) -> None:
    lines = data.transcript_lines(scorecard)
    tagged = [(w, k) for line in lines for w, k in zip(line.words, line.kinds, strict=True)]
    marked = {(round(w.start, 2), w.text): k for w, k in tagged if k}
    words = {w.text: k for w, k in tagged}
    # pace counted {"so": 2, "umm": 1, "you know": 1} and says when each was said
    fillers = sorted(t for (_, t), k in marked.items() if k == "filler")
    assert fillers == ["So,", "Umm,", "know,", "so,", "you"]
    assert words["morning"] is None
    so_19 = next(k for w, k in tagged if w.text == "So" and w.start < 20)
    assert so_19 is None, "a sentence-initial 'So' without a pause is not a filler"
    assert words["leak"] == words["proof,"] == "point"
    assert words["Tap"] == "cta"
    assert words["returns."] == "mention"


def test_transcript_marks_mandarin_fillers_by_characters(zh_scorecard: Scorecard) -> None:
    line = data.transcript_lines(zh_scorecard)[1]
    words = zip(line.words, line.kinds, strict=True)
    assert [w.text for w, k in words if k == "filler"] == ["嗯，"]


def test_evidence_for_a_criterion_puts_untimed_findings_first(scorecard: Scorecard) -> None:
    items = scorecard.evidence_for("coverage.selling_points_ratio")
    assert items[0].start_s is None and "never said" in items[0].text
    assert span_text(items[0].start_s, items[0].end_s) == "—"
    assert [e.start_s for e in items[1:]] == sorted(e.start_s or 0 for e in items[1:])
    assert span_text(items[1].start_s, items[1].end_s) == "00:14–00:17"


def test_rescoring_with_the_same_rubric_reproduces_the_scorecard(
    scorecard: Scorecard,
) -> None:
    from livelab.scoring.rubric import find_rubric, load_rubric

    again = data.rescore(scorecard, load_rubric(find_rubric("anchor-basics-en")))
    assert again.total == pytest.approx(scorecard.total, abs=0.01)
    assert again.fix_first == scorecard.fix_first


def test_a_broken_scorecard_file_is_a_clear_user_error(tmp_path: Path) -> None:
    from livelab.api.errors import LivelabError

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something/else"}')
    with pytest.raises(LivelabError, match="not a livelab scorecard"):
        read_scorecard(bad)
    runner = CliRunner()
    from livelab.cli import cli

    result = runner.invoke(cli, ["tui", "--scorecard", str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.output and "not a livelab scorecard" in result.output


def test_open_path_accepts_sessions_and_explains_the_rest(class_folder: Path) -> None:
    assert check_session_path("demo_en", class_folder) == (class_folder / "demo_en", "")
    assert check_session_path("demo_en/session.toml", class_folder)[0] == class_folder / "demo_en"
    assert check_session_path("warmup.mp4", class_folder)[0] == class_folder / "warmup.mp4"
    assert "no session.toml" in check_session_path("notes", class_folder)[1]
    assert "does not exist" in check_session_path("nope", class_folder)[1]
    assert "not a recording" in check_session_path("demo_en/products.yaml", class_folder)[1]


def test_sparkline_scales_to_its_own_range() -> None:
    assert sparkline([0, 5, 10], relative=True, gap=" ") == "▁▅█"
    assert sparkline([3, None, 3], relative=True, gap=" ") == "▅ ▅"
    assert sparkline([], relative=True) == ""
    assert sparkline([0, 5, 10]) == "▁▅█" and sparkline([5, None, 10], 10) == "▅·█"


# --- driving the app --------------------------------------------------------------------


@run_async
async def test_scorecard_evidence_jumps_to_the_transcript(scorecard: Scorecard) -> None:
    from textual.widgets import DataTable

    from livelab.tui.screens.scorecard import ScorecardScreen
    from livelab.tui.screens.transcript import TranscriptScreen
    from livelab.tui.widgets.evidence import EvidenceList
    from livelab.tui.widgets.transcript import TranscriptView

    app = make_app(scorecard=scorecard, history=FakeHistory())
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ScorecardScreen)
        table = app.screen.query_one("#criteria", DataTable)
        row = [c.id for c in scorecard.criteria].index("dead-air")
        for _ in range(row):
            await pilot.press("down")
        evidence = app.screen.query_one(EvidenceList)
        assert table.cursor_row == row
        assert evidence.border_title == "Evidence · No dead air"
        assert evidence.option_count == 2  # the feedback line and "dead air 00:41–00:46"
        await pilot.press("enter")
        assert evidence.has_focus and evidence.highlighted == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)
        view = app.screen.query_one(TranscriptView)
        await pilot.pause()
        line = view.lines[view.highlighted]
        assert line.start <= 41.48 < line.end or line.start >= 41.48  # at (or after) the silence
        assert line.start < 47
        await pilot.press("escape")
        assert isinstance(app.screen, ScorecardScreen)
        assert evidence.has_focus
        await pilot.press("escape")  # out of the evidence, still on the scorecard
        assert isinstance(app.screen, ScorecardScreen) and table.has_focus


@run_async
async def test_untimed_evidence_says_so_instead_of_jumping(scorecard: Scorecard) -> None:
    from livelab.tui.screens.scorecard import ScorecardScreen

    app = make_app(scorecard=scorecard)
    async with app.run_test(size=(80, 24)) as pilot:
        row = [c.id for c in scorecard.criteria].index("selling-points")
        await pilot.press(*["down"] * row, "enter", "enter")  # first finding: never said
        await pilot.pause()
        assert isinstance(app.screen, ScorecardScreen)
        assert any("no time" in str(n.message) for n in app._notifications)


@run_async
async def test_home_analyses_a_session_and_records_the_attempt(
    class_folder: Path, tmp_path: Path, scorecard: Scorecard
) -> None:
    """With the real history when this checkout has it (else its in-memory stand-in)."""
    from textual.widgets import DataTable

    from livelab.tui.screens.scorecard import ScorecardScreen

    history = data.open_history(tmp_path / "attempts.sqlite3") or FakeHistory()
    earlier = copy.deepcopy(scorecard)
    earlier.session.path = str(class_folder / "demo_en" / "session.toml")
    earlier.total = 71.25
    history.record(earlier, kind="analyze")
    app = make_app(folder=class_folder, history=history)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        assert table.get_row_at(0)[0] == "demo_en"
        assert table.get_row_at(0)[2] == "71.2/100"  # last score from history
        assert table.get_row_at(1)[2] == "—"
        await pilot.press("enter")
        for _ in range(1200):  # cached analysis: a second or two, longer on a busy machine
            await pilot.pause(0.05)
            if isinstance(app.screen, ScorecardScreen):
                break
        assert isinstance(app.screen, ScorecardScreen)
        assert app.screen.scorecard.session.title == "AquaKeep bottle — rehearsal 1"
        newest = history.attempts()[0]
        assert newest.kind == "analyze" and newest.anchor == "Demo Student"
        await pilot.press("escape")
        await pilot.pause()
        table = app.screen.query_one("#sessions", DataTable)
        assert table.get_row_at(0)[2] == data.score_text(newest.total, newest.max_total)
        assert app.screen.query_one("#recent", DataTable).row_count == 1  # one per session


@run_async
async def test_cancelled_analysis_is_ignored_and_the_ui_stays_responsive(
    class_folder: Path, monkeypatch: pytest.MonkeyPatch, scorecard: Scorecard
) -> None:
    from livelab.engine import runner
    from livelab.tui.screens.analyse import AnalyseScreen
    from livelab.tui.screens.home import HomeScreen
    from livelab.tui.widgets.stage import StageRow

    release = threading.Event()

    def slow_score(job: Any, progress: Any, plugins_dirs: Any = ()) -> Scorecard:
        progress("audio", None, "decoding audio")
        progress("transcribe", 0.5, "transcribing")  # whisper cannot be interrupted here
        release.wait(10)
        progress("transcribe", 1.0, "transcribed")
        return scorecard

    monkeypatch.setattr(runner, "score_session", slow_score)
    history = FakeHistory()
    app = make_app(folder=class_folder, history=history)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.02)
            screen = app.screen
            if (
                isinstance(screen, AnalyseScreen)
                and screen.query_one("#stage-transcribe", StageRow).started
            ):
                break
        assert isinstance(app.screen, AnalyseScreen)
        assert app.screen.query_one("#stage-audio", StageRow).has_class("-done")
        await pilot.press("escape")  # answered while the worker is still busy
        assert isinstance(app.screen, HomeScreen)
        assert any("ignored" in str(n.message) for n in app._notifications)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert isinstance(app.screen, HomeScreen)
        assert history.recorded == []


@run_async
async def test_an_analysis_error_is_shown_not_raised(class_folder: Path) -> None:
    from textual.widgets import Static

    from livelab.tui.screens.analyse import AnalyseScreen

    (class_folder / "broken").mkdir()
    (class_folder / "broken" / "session.toml").write_text('title = "broken"\nrecording = "x.mp4"\n')
    app = make_app(folder=class_folder, history=FakeHistory())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # rows: broken, demo_en, warmup.mp4
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, AnalyseScreen)
        status = str(app.screen.query_one("#analyse-status", Static).render())
        assert "Could not analyse" in status and "x.mp4" in status
        await pilot.press("escape")
        assert not isinstance(app.screen, AnalyseScreen)


@run_async
async def test_open_a_session_by_path(class_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Static

    from livelab.tui.dialogs.open_session import OpenSessionDialog
    from livelab.tui.screens.analyse import AnalyseScreen

    app = make_app(folder=class_folder, history=FakeHistory())
    monkeypatch.setattr(AnalyseScreen, "run_analysis", lambda self: None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OpenSessionDialog)
        await pilot.press(*"notes", "enter")
        assert "no session.toml" in str(app.screen.query_one("#path-error", Static).render())
        await pilot.press(*["backspace"] * 5, *"demo_en", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AnalyseScreen)
        assert app.screen.session == class_folder / "demo_en"


@run_async
async def test_rubric_picker_sets_the_rubric_for_the_next_analysis(class_folder: Path) -> None:
    from livelab.tui.dialogs.rubric_picker import RubricPicker

    app = make_app(folder=class_folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, RubricPicker)
        await pilot.press("enter")
        assert app.rubric == "anchor-basics-en"
        assert "anchor-basics-en" in str(app.screen.query_one("#rubric-line").render())


@run_async
async def test_progress_shows_the_trend_of_each_criterion(class_folder: Path) -> None:
    from textual.widgets import DataTable

    from livelab.tui.screens.progress import ProgressScreen

    history = FakeHistory(
        [
            attempt(1, class_folder / "demo_en", 60.0, 5.0, 4.0),
            attempt(2, class_folder / "demo_en", 70.0, None, 7.0),
            attempt(3, class_folder / "demo_en", 80.0, 8.0, 7.0),
        ]
    )
    app = make_app(folder=class_folder, history=history)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, ProgressScreen)
        trend = app.screen.query_one("#trend", DataTable)
        rows = {str(trend.get_row_at(i)[0]): trend.get_row_at(i) for i in range(trend.row_count)}
        assert str(rows["Total (%)"][4]) == "+20.0"
        # criteria by their titles; the unscored middle attempt is a gap
        assert str(rows["Speaking pace"][1]) == "▁ █"
        assert str(rows["No dead air"][4]) == "+3.0"
        attempts = app.screen.query_one("#attempts", DataTable)
        assert attempts.get_row_at(0)[1] == "AquaKeep bottle — rehearsal 3"  # newest first


@run_async
async def test_without_history_the_app_says_so(class_folder: Path) -> None:
    app = make_app(folder=class_folder, history=None)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "no history yet" in str(app.screen.query_one("#no-history").render())
        await pilot.press("p")  # the highlighted session's anchor, from its session.toml
        await pilot.pause()
        summary = str(app.screen.query_one("#progress-summary").render())
        assert "history is not available" in summary


@run_async
async def test_rescoring_from_the_scorecard_keeps_measurements(scorecard: Scorecard) -> None:
    app = make_app(scorecard=scorecard)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r", "enter")
        await pilot.pause()
        assert app.screen.scorecard.metrics == scorecard.metrics
        assert app.screen.scorecard.total == pytest.approx(scorecard.total, abs=0.01)


# --- snapshots --------------------------------------------------------------------------


def _fixed_history(folder: Path) -> FakeHistory:
    return FakeHistory(
        [
            attempt(1, folder / "demo_en", 71.25, 6.0, 4.0),
            attempt(2, folder / "demo_en", 84.5, 7.5, 7.0),
            attempt(3, folder / "demo_en", 89.54, 8.7, 7.0),
        ]
    )


def test_snapshot_home(snap_compare: Any, class_folder: Path) -> None:
    assert snap_compare(make_app(folder=class_folder, history=_fixed_history(class_folder)))


def test_snapshot_scorecard_80x24(snap_compare: Any, scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=scorecard), press=["down", "down", "down", "down"])


def test_snapshot_scorecard_100x30(snap_compare: Any, scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=scorecard), terminal_size=(100, 30))


def test_snapshot_transcript_at_evidence(snap_compare: Any, scorecard: Scorecard) -> None:
    row = [c.id for c in scorecard.criteria].index("call-to-action")
    keys = ["down"] * row + ["enter", "enter"]
    assert snap_compare(make_app(scorecard=scorecard), press=keys)


def test_snapshot_timelines(snap_compare: Any, scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=scorecard), press=["l", "right"])


def test_snapshot_progress(snap_compare: Any, class_folder: Path) -> None:
    app = make_app(folder=class_folder, history=_fixed_history(class_folder))
    assert snap_compare(app, press=["p"])


def test_snapshot_mandarin_scorecard(snap_compare: Any, zh_scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=zh_scorecard))


def test_snapshot_mandarin_transcript(snap_compare: Any, zh_scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=zh_scorecard), press=["t"])


def test_snapshot_help(snap_compare: Any, scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=scorecard), press=["question_mark"])


@pytest.mark.parametrize("fixture", [DEMO, DEMO_ZH], ids=["en", "zh"])
def test_snapshot_demo_scorecard_fixture_is_stable(fixture: Path) -> None:
    """The fixture carries no clock or machine-specific values that would leak into snapshots."""
    raw = json.loads(fixture.read_text(encoding="utf-8"))
    assert raw["timings"] == {}
    assert not Path(raw["rubric"]["path"]).is_absolute()
    assert not Path(raw["session"]["path"]).is_absolute()
    assert raw["created_at"].startswith("2026-01-01")


# --- the interface in Chinese -------------------------------------------------------------


@pytest.fixture
def chinese() -> None:
    """The interface in Chinese, as ``--lang zh`` chooses it."""
    from livelab import i18n

    i18n.activate("zh", "--lang")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_scorecard_in_chinese(
    snap_compare: Any, size: tuple[int, int], chinese: None
) -> None:
    app = make_app(scorecard=read_scorecard(DEMO_ZH))
    assert snap_compare(app, terminal_size=size, press=["down", "down"])


def test_snapshot_scorecard_in_english_120x40(snap_compare: Any, scorecard: Scorecard) -> None:
    assert snap_compare(make_app(scorecard=scorecard), terminal_size=(120, 40), press=["down"])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_home_in_chinese(
    snap_compare: Any, class_folder: Path, size: tuple[int, int], chinese: None
) -> None:
    app = make_app(folder=class_folder, history=_fixed_history(class_folder))
    assert snap_compare(app, terminal_size=size)


def test_snapshot_help_in_chinese(snap_compare: Any, scorecard: Scorecard, chinese: None) -> None:
    assert snap_compare(make_app(scorecard=scorecard), press=["question_mark"])


def test_snapshot_progress_in_chinese(
    snap_compare: Any, class_folder: Path, chinese: None
) -> None:
    app = make_app(folder=class_folder, history=_fixed_history(class_folder))
    assert snap_compare(app, press=["p"])


@run_async
async def test_chinese_scorecard_at_80x24_shows_every_value_whole_and_no_english_labels(
    chinese: None,
) -> None:
    """In Chinese (two columns per character) the score, points and measured columns still
    fit 80 columns; the headers, footer and evidence speak Chinese."""
    from rich.cells import cell_len
    from textual.widgets import DataTable

    from livelab.builtin.reporters import format_value
    from livelab.tui.widgets.evidence import EvidenceList

    sc = read_scorecard(DEMO_ZH)
    app = make_app(scorecard=sc)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#criteria", DataTable)
        widths = [col.get_render_width(table) for col in table.columns.values()]
        assert sum(widths) <= 80 - 2, widths
        assert [str(c.label) for c in table.columns.values()] == ["评分项", "得分", "分数", "实测"]
        for i, c in enumerate(sc.criteria):
            title, _bar, _points, value = table.get_row_at(i)
            assert str(value) == format_value(c.value, c.unit)
            assert cell_len(str(title)) <= widths[0] - 2
            assert " / " not in str(title)  # the Chinese side of a bilingual title only
        dead_air = [c.id for c in sc.criteria].index("dead-air")
        for _ in range(dead_air):
            await pilot.press("down")
        await pilot.pause()
        shown = [str(o.prompt) for o in app.screen.query_one(EvidenceList).options]
        rendered = " ".join(shown)
        assert "冷场" in app.screen.query_one(EvidenceList).border_title
        assert "dead air" not in rendered


def _column_labels(app: Any) -> list[str]:
    from textual.widgets import DataTable

    return [str(c.label) for c in app.screen.query_one("#sessions", DataTable).ordered_columns]


@run_async
async def test_l_on_home_switches_the_language_and_the_next_start_remembers_it(
    class_folder: Path,
) -> None:

    from livelab import i18n
    from livelab.tui.settings import settings_path

    i18n.activate("en", "locale")  # as from LANG=en_US.UTF-8: a setting made in the app wins
    app = make_app(folder=class_folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        labels = _column_labels(app)
        assert labels == ["Session", "Title", "Last score"]
        await pilot.press("L")
        await pilot.pause()
        labels = _column_labels(app)
        assert labels == ["直播", "标题", "最近得分"]
        assert app.sub_title == "练习室"
    assert json.loads(settings_path().read_text(encoding="utf-8")) == {"language": "zh"}

    i18n.activate("en", "locale")
    again = make_app(folder=class_folder)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert i18n.current() == "zh"
    i18n.activate("en", "--lang")  # --lang en (or $LIVELAB_LANG) beats the saved setting
    third = make_app(folder=class_folder)
    async with third.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert i18n.current() == "en"


def test_what_plugins_declare_is_shown_in_chinese_from_their_catalogs(chinese: None) -> None:
    sc = read_scorecard(DEMO_ZH)
    assert sc.analyzers["pace"].domain == "livelab_pace"
    labels = [data.series_label(sc, s) for s in data.ordered_series(sc)]
    assert "人脸在镜头内" in labels and "在线人数" in labels
    assert dict(data.highlight_kinds(sc))["point"] == "卖点"
    # a scorecard from before the domain field shows the plugin's English words
    old = read_scorecard(DEMO)
    assert "Face on camera" in [data.series_label(old, s) for s in data.ordered_series(old)]


def test_snapshot_timelines_in_chinese(snap_compare: Any, chinese: None) -> None:
    assert snap_compare(make_app(scorecard=read_scorecard(DEMO_ZH)), press=["l"])


def test_a_broken_settings_file_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from livelab import i18n
    from livelab.tui import settings

    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    for broken in ("{not json", '["zh"]', '{"language": "fr"}'):
        path.write_text(broken, encoding="utf-8")
        i18n.activate("en", "default")
        caplog.clear()
        assert settings.start_language() == "en"
        assert str(path) in caplog.text
    path.write_text('{"language": "zh", "other": 1}', encoding="utf-8")
    assert settings.start_language() == "zh"
    settings.save(language="en")  # other settings are kept
    assert json.loads(path.read_text(encoding="utf-8")) == {"language": "en", "other": 1}


@run_async
async def test_long_bilingual_titles_never_push_a_value_off_80_columns(
    zh_scorecard: Scorecard,
) -> None:
    """At 80×24 the score, points and measured columns are shown whole; a long bilingual
    title (two columns per CJK character) is cut with an ellipsis instead."""
    from rich.cells import cell_len
    from textual.widgets import DataTable

    from livelab.builtin.reporters import format_value

    long = "品名、价格、优惠、保障、用法：每件商品都要讲到的关键信息"  # 56 cells, one language
    for c in zh_scorecard.criteria:
        c.title = long
    app = make_app(scorecard=zh_scorecard)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#criteria", DataTable)
        widths = [col.get_render_width(table) for col in table.columns.values()]
        assert sum(widths) <= 80 - 2, widths  # the scroll bar
        for i, c in enumerate(zh_scorecard.criteria):
            title, _bar, _points, value = table.get_row_at(i)
            assert str(value) == format_value(c.value, c.unit)  # whole
            assert cell_len(str(title)) <= widths[0] - 2 and str(title).rstrip(" ★").endswith("…")
    wide = make_app(scorecard=zh_scorecard)
    async with wide.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        table = wide.screen.query_one("#criteria", DataTable)
        assert str(table.get_row_at(0)[0]).startswith(long)  # room enough: not cut
