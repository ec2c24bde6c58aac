"""The mock live room of ``livelab record`` in the TUI, driven by a fake recorder.

The fake plays a scripted take (updates with chat, a dead-air warning) from its own
thread, exactly as the real recorder calls ``on_update``, then records until ``stop()``
(or returns at once, or raises). Events, not sleeps, decide when it moves on."""

from __future__ import annotations

import asyncio
import functools
import shutil
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from livelab.api.errors import Problem, SessionError
from livelab.api.messages import Message
from livelab.record.audience import ChatMessage, M, RoomState
from livelab.record.recorder import LiveUpdate, TakeResult
from tests.conftest import REPO

SAMPLE = REPO / "sample_sessions" / "demo_en"
#: Shown in the summary snapshot: it need not exist, and must not depend on tmp_path.
SNAPSHOT_FOLDER = Path("/home/student/takes/rehearsal-1")
#: No test should get near this; it only turns a broken handshake into a failure, not a hang.
SAFETY_S = 20.0


def room(t: float, viewers: int, mood: str | Message = "warming up", **kw: Any) -> RoomState:
    values: dict[str, Any] = dict(
        t=t,
        viewers=viewers,
        peak_viewers=max(viewers, kw.pop("peak", viewers)),
        entries=viewers,
        exits=0,
        likes=int(t * 3),
        orders=0,
        gmv=0.0,
        interest=0.4,
        silence_s=0.0,
        open_questions=0,
        mood=mood,
        warning=any(w in str(mood).casefold() for w in ("dead air", "leaving", "waiting")),
    )
    values.update(kw)
    return RoomState(**values)


def script() -> list[LiveUpdate]:
    """48 s of a take: greetings, the price question, a sale, then 6 s of dead air."""
    planned = 120.0
    return [
        LiveUpdate("starting", room(0.0, 0), planned),
        LiveUpdate(
            "recording",
            room(4.5, 12, "viewers are arriving"),
            planned,
            (
                ChatMessage(1.2, "mia_r", "greeting", "hi everyone!"),
                ChatMessage(3.9, "tom88", "greeting", "hello"),
            ),
        ),
        LiveUpdate("recording", room(12.0, 25, "interested: keep going"), planned),
        LiveUpdate(
            "recording",
            room(21.5, 31, "interested: keep going", open_questions=1),
            planned,
            (
                ChatMessage(
                    19.8, "lena", "question", "how much is the bottle?", "price", "aquakeep"
                ),
                ChatMessage(20.4, "tom88", "comment", "looks sturdy"),
            ),
        ),
        LiveUpdate(
            "recording",
            room(33.0, 40, "orders coming in", orders=2, gmv=35.98, open_questions=1),
            planned,
            (ChatMessage(32.1, "kai", "question", "link?", "link", "aquakeep"),),
        ),
        LiveUpdate(
            "recording",
            room(
                47.5,
                36,
                # as the audience model says it: a message the room shows in the student's language
                M("dead_air", "dead air {seconds:.0f} s: viewers are leaving", seconds=6.0),
                peak=41,
                exits=5,
                orders=2,
                gmv=35.98,
                silence_s=6.0,
                open_questions=2,
            ),
            planned,
            (ChatMessage(46.0, "mia_r", "question", "does it ship to Canada?", "shipping"),),
        ),
    ]


class FakeRecorder:
    """``livelab.record.recorder.Recorder``'s interface with a scripted take.

    ``hold``: after the script, keep recording until ``stop()``; else the take completes.
    ``release``: ``run()`` returns only once it is set (saving the take takes a moment).
    ``error``: ``run()`` raises it after the script."""

    def __init__(
        self,
        folder: Path = SNAPSHOT_FOLDER,
        updates: list[LiveUpdate] | None = None,
        hold: bool = True,
        error: BaseException | None = None,
        planned_s: float | None = 120.0,
    ) -> None:
        self.on_update: Callable[[LiveUpdate], None] | None = None
        self.folder = folder
        self.planned_s = planned_s
        self.updates = script() if updates is None else updates
        self.hold = hold
        self.error = error
        self.stops: list[str] = []
        self.played = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.returned = threading.Event()
        self._stopped = threading.Event()

    def run(self) -> TakeResult:
        assert self.on_update is not None, "on_update must be set before run()"
        for update in self.updates:
            self.on_update(update)
        self.played.set()
        if self.error is not None:
            raise self.error
        if self.hold:
            assert self._stopped.wait(SAFETY_S), "nobody stopped the take"
        assert self.release.wait(SAFETY_S)
        last = self.updates[-1].state
        self.on_update(LiveUpdate("finishing", last, self.planned_s))
        self.returned.set()
        if self.stops:
            return TakeResult(self.folder, "interrupted", self.stops[0], last.t)
        return TakeResult(self.folder, "complete", "", last.t)

    def stop(self, reason: str = "stopped by the user") -> None:
        self.stops.append(reason)
        self._stopped.set()


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test on a fresh event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def live_app(recorder: FakeRecorder, **kwargs: Any) -> Any:
    from livelab.tui.app import LivelabApp

    return LivelabApp(record=recorder, **kwargs)


async def until(pilot: Any, condition: Callable[[], bool]) -> None:
    """Let the app run until ``condition`` holds (the recorder thread and the UI meet)."""
    for _ in range(int(SAFETY_S / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the live room never got there")


def shown(app: Any) -> Any:
    """The live room screen (the app's first screen in record mode)."""
    from livelab.tui.screens.live import LiveRoomScreen

    return next(s for s in app.screen_stack if isinstance(s, LiveRoomScreen))


def caught_up(app: Any, recorder: FakeRecorder) -> Callable[[], bool]:
    """The room shows the last scripted update (and all its chat)."""
    last = recorder.updates[-1]

    def check() -> bool:
        screen = shown(app)
        total = sum(len(u.chat) for u in recorder.updates)
        return screen.state == last.state and screen.messages == total

    return check


def text_of(app: Any, selector: str) -> str:
    return str(shown(app).query_one(selector).render())


# --- what is shown (no Textual app) -----------------------------------------------------


def test_the_mood_warns_on_dead_air_and_waiting_questions() -> None:
    from livelab.record.audience import Audience, ProductInfo

    audience = Audience([ProductInfo("b", "bottle", 19.99, None)], "en", seed=1)
    audience.step(10.0, silence_s=0.0)
    assert not audience.state().warning
    audience.step(14.0, silence_s=4.0)
    state = audience.state()
    assert state.warning and "dead air" in str(state.mood)
    audience.step(15.0, silence_s=0.0)
    audience._ask(15.0)
    audience.step(31.0, silence_s=0.0)
    assert audience.state().warning and "waiting" in str(audience.state().mood)


def test_clock_shows_elapsed_and_remaining_or_says_the_length_is_open() -> None:
    from livelab.tui.screens.live import clock_text

    assert clock_text("recording", 134.0, 600.0).plain == "● REC 02:14 / 10:00 · 07:46 left"
    assert clock_text("recording", 610.0, 600.0).plain.endswith("00:00 left")  # ran over
    assert clock_text("recording", 5.0, None).plain == "● REC 00:05 · until the source ends"
    assert clock_text("recording", 5.0, 60.0, stopping=True).plain.startswith("■ SAVING")
    assert clock_text("starting", 0.0, 60.0).plain.startswith("○ STARTING")


def test_chat_lines_set_questions_apart_and_keep_markup_as_text() -> None:
    from livelab.tui.screens.live import chat_line

    question = chat_line(ChatMessage(19.8, "lena", "question", "how much?", "price"))
    assert question.plain == "00:20  ?  lena: how much?  [price]"
    assert any("reverse" in str(span.style) for span in question.spans)
    greeting = chat_line(ChatMessage(1.0, "[b]mia[/b]", "greeting", "hi"))
    assert greeting.plain == "00:01 [b]mia[/b]: hi"  # a user name is never Rich markup
    assert all("italic" in str(s.style) for s in greeting.spans if s.start >= 6)


def test_summary_names_the_folder_how_the_take_ended_and_the_final_numbers() -> None:
    from livelab.tui.screens.live import summary_text

    last = script()[-1].state
    result = TakeResult(Path("/takes/t1"), "interrupted", "disk full: /takes/t1/take.mp4", 47.5)
    text = summary_text(result, last, 120.0, messages=6, questions=3).plain
    assert "Take saved — interrupted: disk full: /takes/t1/take.mp4" in text
    assert "/takes/t1" in text and "00:48 of 02:00 planned" in text
    assert "36 at the end · peak 41" in text
    assert "Orders 2 · GMV 35.98" in text
    assert "6 messages · 3 questions, 2 still unanswered" in text
    nothing = summary_text(TakeResult(Path("/t"), "complete", "", 0.0), None, None, 0, 0).plain
    assert "no updates were received" in nothing


# --- driving the app --------------------------------------------------------------------


@run_async
async def test_updates_from_the_recording_thread_reach_the_room() -> None:
    from textual.widgets import ProgressBar, RichLog

    recorder = FakeRecorder()
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, caught_up(app, recorder))
        screen = shown(app)
        assert "00:48 / 02:00" in text_of(app, "#live-clock")
        assert screen.query_one(ProgressBar).progress == pytest.approx(47.5)
        stats = text_of(app, "#live-stats")
        assert "Viewers 36  peak 41" in stats and "Open questions 2" in stats
        assert "GMV 35.98" in stats and "▁▄▆█▇  last 5 min" in stats
        assert screen.query_one("#live-mood").has_class("-warning")
        assert screen.questions == 3
        # One trend point per 10 s bucket, holding the bucket's latest count.
        assert screen.trend == [12, 25, 31, 40, 36]
        log = screen.query_one("#live-chat", RichLog)
        assert "does it ship to Canada?" in log.lines[-1].text  # newest at the bottom
        await pilot.press("s")
        await until(pilot, lambda: screen.stage == "done")


@run_async
async def test_s_stops_the_take_and_shows_the_summary() -> None:
    recorder = FakeRecorder()
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, caught_up(app, recorder))
        screen = shown(app)
        assert screen.query_one("#take-summary").display is False
        await pilot.press("s")
        assert recorder.stops == ["stopped by the user"]
        await until(pilot, lambda: screen.stage == "done")
        assert app.take_result is not None and app.take_result.status == "interrupted"
        summary = text_of(app, "#take-summary")
        assert "interrupted: stopped by the user" in summary
        assert str(SNAPSHOT_FOLDER) in summary and "36 at the end · peak 41" in summary
        assert screen.query_one("#live-panel").display is False
        await pilot.press("s")  # nothing left to stop
        assert recorder.stops == ["stopped by the user"]
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@run_async
@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quitting_mid_take_stops_it_and_waits_until_it_is_saved(key: str) -> None:
    recorder = FakeRecorder()
    recorder.release.clear()  # saving the take is still going on
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, caught_up(app, recorder))
        await pilot.press(key)
        assert recorder.stops == ["the student quit the live room"]
        await pilot.pause(0.1)
        assert app.is_running, "quit before the take was saved"
        assert "SAVING" in text_of(app, "#live-clock")
        await pilot.press(key)  # impatient: still waits, does not stop twice
        assert recorder.stops == ["the student quit the live room"] and app.is_running
        recorder.release.set()
        await until(pilot, lambda: not app.is_running)
        assert recorder.returned.is_set()
        assert app.take_result is not None
        assert app.take_result.reason == "the student quit the live room"


@run_async
async def test_an_app_closed_any_other_way_still_stops_the_take() -> None:
    from livelab.tui.screens.live import CLOSED_REASON

    recorder = FakeRecorder()
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, caught_up(app, recorder))
        app.exit()  # as a crash elsewhere in the app would
    assert recorder.stops == [CLOSED_REASON]
    assert recorder.returned.wait(SAFETY_S), "the recording thread outlived the app"


@run_async
async def test_a_take_that_ends_by_itself_is_summarised_and_q_quits() -> None:
    recorder = FakeRecorder(hold=False)
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown(app).stage == "done")
        assert "Take saved — complete" in text_of(app, "#take-summary")
        assert recorder.stops == []
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
        assert app.take_result.status == "complete"


@run_async
async def test_a_recorder_error_is_shown_without_a_traceback_and_q_quits() -> None:
    error = SessionError(
        [Problem("/takes/t1/products.yaml", "expected a number, got 'cheap'", "products[0].price")]
    )
    recorder = FakeRecorder(updates=script()[:2], error=error)
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown(app).stage == "failed")
        message = text_of(app, "#take-summary")
        assert "Could not record: /takes/t1/products.yaml: products[0].price" in message
        assert "Traceback" not in message
        assert app.take_result is None and "products[0].price" in app.take_error
        await pilot.press("a")  # nothing to analyse: still here
        assert app.is_running and app.screen is shown(app)
        await pilot.press("question_mark", "escape")  # the app stays usable
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@run_async
async def test_an_os_error_from_the_recorder_names_the_file() -> None:
    error = OSError(28, "No space left on device")
    error.filename = "/takes/t1/take.mp4"
    recorder = FakeRecorder(updates=[], error=error)
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown(app).stage == "failed")
        assert "No space left on device: '/takes/t1/take.mp4'" in text_of(app, "#take-summary")


@run_async
async def test_a_after_the_take_opens_the_analysis_of_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livelab.tui.screens.analyse import AnalyseScreen
    from livelab.tui.screens.live import LiveRoomScreen

    take = tmp_path / "take"
    shutil.copytree(SAMPLE, take)
    monkeypatch.setattr(AnalyseScreen, "run_analysis", lambda self: None)  # no real analysis
    recorder = FakeRecorder(folder=take, hold=False)
    app = live_app(recorder, rubric="anchor-basics-en")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown(app).stage == "done")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AnalyseScreen))
        assert app.screen.session == take and app.screen.rubric == "anchor-basics-en"
        await pilot.press("escape")  # cancel: back to the summary
        await pilot.pause()
        assert isinstance(app.screen, LiveRoomScreen)
        assert "Take saved" in text_of(app, "#take-summary")


@run_async
async def test_a_flood_of_updates_is_coalesced_and_keeps_the_newest_chat() -> None:
    from textual.widgets import RichLog

    from livelab.tui.screens.live import CHAT_LINES

    flood = [
        LiveUpdate(
            "recording",
            room(i / 10, 10 + i % 7),
            None,
            (ChatMessage(i / 10, f"user{i}", "comment", f"message {i}"),),
        )
        for i in range(CHAT_LINES + 300)
    ]
    recorder = FakeRecorder(updates=flood, planned_s=None)
    app = live_app(recorder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, caught_up(app, recorder))
        screen = shown(app)
        log = screen.query_one("#live-chat", RichLog)
        assert f"message {len(flood) - 1}" in log.lines[-1].text
        assert len(log.lines) <= CHAT_LINES
        assert text_of(app, "#live-clock") == "● REC 01:20 · until the source ends"
        await pilot.press("s")
        await until(pilot, lambda: screen.stage == "done")


def test_run_live_room_returns_the_take_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's entry point runs the app (here headless) and hands back the result."""
    from livelab.tui import app as app_module
    from livelab.tui import run_live_room

    original = app_module.LivelabApp.run

    def headless(self: Any, *args: Any, **kwargs: Any) -> Any:
        async def drive() -> None:
            async with self.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: shown(self).stage == "done")
                await pilot.press("q")

        asyncio.run(drive())

    monkeypatch.setattr(app_module.LivelabApp, "run", headless)
    result = run_live_room(FakeRecorder(hold=False))
    monkeypatch.setattr(app_module.LivelabApp, "run", original)
    assert result is not None and result.status == "complete"
    assert result.folder == SNAPSHOT_FOLDER


# --- snapshots --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_snapshot_live_room_mid_take(snap_compare: Any, language: str) -> None:
    from livelab import i18n

    i18n.activate(language, "--lang")
    recorder = FakeRecorder()

    async def wait_caught_up(pilot: Any) -> None:
        await until(pilot, caught_up(pilot.app, recorder))

    try:
        assert snap_compare(live_app(recorder), run_before=wait_caught_up)
    finally:
        recorder.stop()


@pytest.mark.parametrize(
    ("language", "size"),
    [("en", (80, 24)), ("zh", (80, 24)), ("zh", (120, 40))],
    ids=["en-80x24", "zh-80x24", "zh-120x40"],
)
def test_snapshot_take_summary(snap_compare: Any, language: str, size: tuple[int, int]) -> None:
    from livelab import i18n

    i18n.activate(language, "--lang")
    recorder = FakeRecorder(hold=False)

    async def finished(pilot: Any) -> None:
        await until(pilot, lambda: shown(pilot.app).stage == "done")

    assert snap_compare(live_app(recorder), run_before=finished, terminal_size=size)
