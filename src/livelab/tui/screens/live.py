"""The mock live room shown while ``livelab record`` runs: clock, audience, mood and chat."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, RichLog, Static

from livelab.api.analysis import clock
from livelab.i18n import N_, _, error_text, say
from livelab.inputs.session import TAKE_STATUSES
from livelab.reports.text import sparkline
from livelab.tui.messages import LiveRoomUpdated, OpenSession, TakeFailed, TakeFinished
from livelab.tui.widgets.footer import LivelabFooter

if TYPE_CHECKING:
    from livelab.record.audience import ChatMessage, RoomState
    from livelab.record.recorder import LiveUpdate, TakeResult
    from livelab.tui.app import LivelabApp

#: The viewer trend keeps one point per bucket of recorded time: 30 × 10 s = the last 5 min.
TREND_BUCKET_S = 10.0
TREND_POINTS = 30
#: At most this many UI refreshes a second, however often the recorder sends updates.
MIN_REFRESH_S = 0.2
#: The chat keeps the newest lines only: a long take must not grow the UI without bound.
CHAT_LINES = 500

QUIT_REASON = "the student quit the live room"
CLOSED_REASON = "the live room closed"


# --- what is shown (pure: tested without Textual) ---------------------------------------


def clock_text(phase: str, t: float, planned_s: float | None, stopping: bool = False) -> Text:
    """``● REC 02:14 / 10:00 · 07:46 left``; the phase when not recording."""
    text = Text()
    if stopping or phase == "finishing":
        text.append("■ " + _("SAVING") + " ", style="bold yellow")
    elif phase == "starting":
        text.append("○ " + _("STARTING") + " ", style="bold")
    else:
        text.append("● " + _("REC") + " ", style="bold red")
    text.append(clock(t), style="bold")
    if planned_s is None:
        text.append(" · " + _("until the source ends"), style="dim")
    else:
        text.append(f" / {clock(planned_s)}")
        left = _("{time} left").format(time=clock(max(0.0, planned_s - t)))
        text.append(f" · {left}", style="dim")
    return text


def stats_text(state: RoomState, trend: Iterable[int]) -> Text:
    """Two lines: viewers (now, peak, trend) and likes, orders, GMV, open questions."""
    text = Text()
    text.append(_("Viewers") + " ", style="dim")
    text.append(f"{state.viewers:,}", style="bold")
    text.append("  " + _("peak {count:,}").format(count=state.peak_viewers), style="dim")
    line = sparkline(list(trend), relative=True, gap=" ")
    if line:
        text.append("  ")
        text.append(line, style="cyan")
        minutes = TREND_BUCKET_S * TREND_POINTS / 60
        text.append("  " + _("last {minutes:g} min").format(minutes=minutes), style="dim")
    _sales(text, state)
    text.append(" · " + _("Open questions") + " ", style="dim")
    text.append(f"{state.open_questions}", style="bold yellow" if state.open_questions else "bold")
    return text


def _sales(text: Text, state: RoomState) -> None:
    """A new line: likes, orders and GMV so far."""
    for i, (label, value) in enumerate(((N_("Likes"), f"{state.likes:,}"),
                                        (N_("Orders"), f"{state.orders:,}"),
                                        (N_("GMV"), f"{state.gmv:,.2f}"))):  # fmt: skip
        text.append(" · " if i else "\n", style="dim")
        text.append(f"{_(label)} ", style="dim")
        text.append(value, style="bold")


def mood_text(state: RoomState) -> Text:
    """The audience's mood line, with a ``!`` badge when it warns."""
    if state.warning:
        return Text.assemble((" ! ", "bold reverse"), " ", (say(state.mood), "bold"))
    return Text.assemble((_("Room:") + " ", "dim"), say(state.mood))


def chat_line(message: ChatMessage) -> Text:
    """One chat line: questions stand out (badge, topic), greetings are quieter."""
    text = Text(no_wrap=False)
    text.append(f"{clock(message.t)} ", style="dim")
    if message.kind == "question":
        text.append(" ? ", style="bold reverse yellow")
        text.append(f" {message.user}: ", style="bold")
        text.append(message.text, style="bold yellow")
        if message.topic:
            from livelab.record.audience import TOPIC_NAMES

            text.append(f"  [{_(TOPIC_NAMES.get(message.topic, message.topic))}]", style="dim")
    elif message.kind == "greeting":
        text.append(f"{message.user}: {message.text}", style="dim italic")
    else:
        text.append(f"{message.user}: ", style="bold cyan")
        text.append(message.text)
    return text


def summary_text(
    result: TakeResult,
    state: RoomState | None,
    planned_s: float | None,
    messages: int,
    questions: int,
) -> Text:
    """What the take produced and where it is, once ``run()`` returned."""
    text = Text()
    if result.status == "complete":
        text.append(_("Take saved — complete"), style="bold green")
    else:
        status = _(TAKE_STATUSES.get(result.status, result.status))
        text.append(_("Take saved — {status}").format(status=status), style="bold yellow")
        if result.reason:
            text.append(f": {result.reason}", style="yellow")
    text.append("\n" + _("Folder") + "  ", style="dim")
    text.append(str(result.folder))
    text.append("\n" + _("Length") + "  ", style="dim")
    text.append(clock(result.duration_s))
    if planned_s is not None:
        text.append(" " + _("of {time} planned").format(time=clock(planned_s)), style="dim")
    if state is None:
        text.append("\n" + _("Audience  no updates were received"), style="dim")
    else:
        text.append("\n" + _("Viewers") + " ", style="dim")
        text.append(f"{state.viewers:,}", style="bold")
        text.append(" " + _("at the end · peak {count:,}").format(count=state.peak_viewers),
                    style="dim")  # fmt: skip
        _sales(text, state)
    text.append("\n" + _("Chat") + "  ", style="dim")
    said = _("{count} message") if messages == 1 else _("{count} messages")
    asked = _("{count} question") if questions == 1 else _("{count} questions")
    text.append(f"{said.format(count=messages)} · {asked.format(count=questions)}")
    if state is not None and state.open_questions:
        text.append(_(", {count} still unanswered").format(count=state.open_questions),
                    style="yellow")  # fmt: skip
    text.append("\n\na", style="bold")
    text.append(" " + _("analyse this take now") + " · ")
    text.append("q", style="bold")
    text.append(" " + _("quit"))
    return text


# --- the screen -------------------------------------------------------------------------


class LiveRoomScreen(Screen[None]):
    """Runs ``recorder.run()`` in a thread worker and shows what the audience does.

    The recorder calls ``on_update`` from its own thread; updates are buffered under a
    lock and the UI collects them at most every ``MIN_REFRESH_S``. A take is never lost:
    ``s`` and quitting both stop it and wait for ``run()`` to return."""

    BINDINGS = [
        Binding("s", "stop_take", N_("Stop & save")),
        Binding("a", "analyse_take", N_("Analyse take")),
        # The footer already shows the app's Ctrl+Q, which does the same here.
        Binding("q", "quit_room", N_("Quit"), show=False),
    ]

    app: LivelabApp

    def __init__(self, recorder: Any) -> None:
        super().__init__()
        self.recorder = recorder
        #: "recording" → "stopping" (s or quit pressed) → "done" | "failed"
        self.stage = "recording"
        self.quit_after_take = False
        self.result: TakeResult | None = None
        self.error: str | None = None
        self.state: RoomState | None = None
        self.phase = "starting"
        self.planned_s: float | None = getattr(recorder, "planned_s", None)
        #: Chat messages and questions so far (all of them, not just the lines kept).
        self.messages = self._messages = 0
        self.questions = self._questions = 0
        #: Viewers at the end of each TREND_BUCKET_S of recorded time, oldest first.
        self.trend: list[int] = []
        self._trend: deque[tuple[int, int]] = deque(maxlen=TREND_POINTS)
        self._lock = threading.Lock()
        self._pending: LiveUpdate | None = None
        self._pending_chat: list[ChatMessage] = []
        self._refresh_queued = False
        self._last_refresh = 0.0

    @property
    def recording(self) -> bool:
        """The take is still running (``run()`` has not returned)."""
        return self.stage in ("recording", "stopping")

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="live-panel"):
            with Horizontal(id="live-clock-row"):
                yield Static(clock_text("starting", 0.0, self.planned_s), id="live-clock")
                yield ProgressBar(
                    total=self.planned_s or 1.0, show_eta=False, show_percentage=False
                )
            yield Static(_("Waiting for the camera and microphone…"), id="live-stats")
            yield Static(id="live-mood")
        yield Static(id="take-summary")
        yield RichLog(id="live-chat", max_lines=CHAT_LINES, wrap=True, min_width=20)
        yield LivelabFooter()

    def on_mount(self) -> None:
        folder = getattr(self.recorder, "folder", None)
        room = _("live room")
        self.sub_title = f"{room} · {folder.name}" if folder is not None else room
        self.query_one("#live-chat", RichLog).border_title = _("Chat")
        self.query_one(ProgressBar).display = self.planned_s is not None
        self.query_one("#take-summary").display = False
        self.recorder.on_update = self._receive
        self.run_take()

    def on_unmount(self) -> None:
        # However the app ends, the recording thread must not outlive it: Textual waits for
        # thread workers at exit, so a take left running would hang the terminal.
        if self.stage == "recording":
            self.recorder.stop(CLOSED_REASON)

    # --- the recording thread ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="recording", exit_on_error=False)
    def run_take(self) -> None:
        from livelab.api.errors import LivelabError

        try:
            result = self.recorder.run()
        except LivelabError as exc:
            self.post_message(TakeFailed(error_text(exc)))
        except OSError as exc:
            self.post_message(TakeFailed(str(exc)))
        except Exception as exc:  # shown on screen; a crash must not leave a frozen room
            self.post_message(TakeFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(TakeFinished(result))

    def _receive(self, update: LiveUpdate) -> None:
        """Called by the recorder on its thread: buffer, and ask for one refresh at a time."""
        bucket = int(update.state.t // TREND_BUCKET_S)
        with self._lock:
            # The trend takes every update, not just those the UI happens to show.
            if self._trend and self._trend[-1][0] == bucket:
                self._trend[-1] = (bucket, update.state.viewers)
            else:
                self._trend.append((bucket, update.state.viewers))
            self._pending = update
            self._messages += len(update.chat)
            self._questions += sum(1 for m in update.chat if m.kind == "question")
            self._pending_chat.extend(update.chat)
            del self._pending_chat[:-CHAT_LINES]
            if self._refresh_queued:
                return
            self._refresh_queued = True
        self.post_message(LiveRoomUpdated())

    # --- the UI thread -------------------------------------------------------------------

    @on(LiveRoomUpdated)
    def _updated(self) -> None:
        wait = self._last_refresh + MIN_REFRESH_S - time.monotonic()
        if wait > 0:
            self.set_timer(wait, self._show_pending)
        else:
            self._show_pending()

    def _show_pending(self) -> None:
        with self._lock:
            update, chat = self._pending, self._pending_chat
            self._pending, self._pending_chat = None, []
            self._refresh_queued = False
            self.trend = [viewers for _, viewers in self._trend]
            self.messages, self.questions = self._messages, self._questions
        self._last_refresh = time.monotonic()
        if chat:
            log = self.query_one("#live-chat", RichLog)
            for message in chat:
                log.write(chat_line(message))
        if update is None:
            return
        state = update.state
        self.state, self.phase = state, update.phase
        if update.planned_s is not None:
            self.planned_s = update.planned_s
        if self.recording:
            self._show_live()

    def _show_live(self) -> None:
        state = self.state
        t = state.t if state is not None else 0.0
        self.query_one("#live-clock", Static).update(
            clock_text(self.phase, t, self.planned_s, stopping=self.stage == "stopping")
        )
        bar = self.query_one(ProgressBar)
        bar.display = self.planned_s is not None
        if self.planned_s:
            bar.update(total=self.planned_s, progress=min(t, self.planned_s))
        if state is None:
            return
        self.query_one("#live-stats", Static).update(stats_text(state, self.trend))
        mood = self.query_one("#live-mood", Static)
        mood.update(mood_text(state))
        mood.set_class(state.warning, "-warning")

    @on(TakeFinished)
    def _finished(self, message: TakeFinished) -> None:
        self._show_pending()  # the last updates may still wait for their refresh slot
        self.stage = "done"
        self.result = message.result
        self.app.take_result = message.result
        if self.quit_after_take:
            self.app.exit()
            return
        self.query_one("#live-panel").display = False
        summary = self.query_one("#take-summary", Static)
        summary.update(
            summary_text(message.result, self.state, self.planned_s, self.messages, self.questions)
        )
        summary.display = True
        self.refresh_bindings()

    @on(TakeFailed)
    def _failed(self, message: TakeFailed) -> None:
        self.stage = "failed"
        self.error = message.error
        self.app.take_error = message.error
        if self.quit_after_take:
            self.app.exit()  # run_live_room prints the error once the terminal is back
            return
        self.query_one("#live-panel").display = False
        summary = self.query_one("#take-summary", Static)
        summary.update(
            Text.assemble(
                (_("Could not record:") + " ", "bold red"),
                (message.error, "red"),
                "\n\n" + _("Nothing more is recorded.") + " ",
                ("q", "bold"),
                " " + _("quits."),
            )
        )
        summary.add_class("error")
        summary.display = True
        self.refresh_bindings()

    # --- keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_take":
            return self.stage == "recording"
        if action == "analyse_take":
            return self.stage == "done"
        return True

    def action_stop_take(self) -> None:
        if self.stage != "recording":
            return
        self.stage = "stopping"
        self.recorder.stop()
        self.notify(_("Stopping: the take is being saved…"))
        self._show_live()
        self.refresh_bindings()

    def action_quit_room(self) -> None:
        """Quit; while recording, stop the take first and quit once it is saved."""
        if not self.recording:
            self.app.exit()
            return
        if self.quit_after_take:
            self.notify(_("Still saving the take: livelab quits as soon as it is saved."))
            return
        self.quit_after_take = True
        if self.stage == "recording":
            self.stage = "stopping"
            self.recorder.stop(QUIT_REASON)
        self.notify(_("Saving the take before quitting…"))
        self._show_live()
        self.refresh_bindings()

    def action_analyse_take(self) -> None:
        if self.result is not None:
            self.post_message(OpenSession(self.result.folder))
