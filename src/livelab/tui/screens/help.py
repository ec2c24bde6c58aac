"""The help screen: what each screen shows and its keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from livelab.i18n import N_, _

HELP = N_("""\
# livelab — practice lab

**Home** lists the sessions in the folder you started in (a folder with a
`session.toml`, or a recording) and your recent attempts. **Enter** analyses
the highlighted session; **o** opens any path; **r** picks the rubric;
**p** shows an anchor's progress; **L** switches the interface between English
and 简体中文 (remembered for next time).

**Analysing** shows each stage (audio, transcribe, video, analyzers).
**Escape** cancels: speech recognition may finish in the background, but its
result is ignored. Second runs are quick — results are cached.

**Scorecard**: ↑/↓ move through the criteria; the evidence for the highlighted
one shows below. ★ marks what to fix first (most points lost).
**Enter** moves into the evidence; **Enter** on a finding opens the transcript
at that moment. **t** transcript · **l** timelines · **p** progress ·
**r** re-score with another rubric (instant, same measurements).

**Transcript** marks fillers, selling points, names/prices/deals, calls to
action and compliance terms. Fillers are a lower bound: recognisers drop many.

**Live room** (`livelab record`): elapsed and remaining time, viewers (peak
and the last 5 minutes' trend), likes, orders, GMV, open questions, the
room's mood (highlighted when it warns: dead air, viewers leaving, questions
waiting) and the chat — questions marked **?**. **s** stops and saves the
take; **q** (or Ctrl+Q) stops it, waits until it is saved, then quits. After
the take: **a** analyses it now, **q** quits.

**Everywhere**: **Escape** goes back, **?** this help, **Ctrl+Q** quits.
""")


class HelpScreen(ModalScreen[None]):
    """Keys and screens, in a scrollable panel; any of Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", N_("Close")),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-panel"):
            yield Markdown(_(HELP))
