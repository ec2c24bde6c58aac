"""Timelines: every series the analyzers reported (speaking rate, viewers, …) over the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Static, TabbedContent, TabPane

from livelab.api.analysis import Series, clock
from livelab.i18n import N_, _, unit_text
from livelab.reports.text import chart_range, sparkline
from livelab.tui.data import ordered_series, series_label
from livelab.tui.widgets.footer import LivelabFooter

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard


def series_plot(series: Series, label: str) -> Widget:
    """A plotext chart when textual-plotext is installed, else a sparkline with its range."""
    t, values = list(series.t), list(series.values)
    try:
        from textual_plotext import PlotextPlot
    except ImportError:
        return _sparkline(series)

    class SeriesPlot(PlotextPlot):
        def on_mount(self) -> None:
            plt = self.plt
            present = [(x, y) for x, y in zip(t, values, strict=True) if y is not None]
            xs = [x for x, _ in present]
            ys = [y for _, y in present]
            if not ys:
                plt.title(_("{label}: no values measured").format(label=label))
                return
            if len(xs) > 12:
                plt.plot(xs, ys, marker="braille")
                ticks = xs[:: max(1, len(xs) // 6)]
                plt.xticks(ticks, [clock(x) for x in ticks])
            else:  # a few per-interval rows: touching bars, one per interval, no gaps
                plt.bar([clock(x) for x in xs], ys, width=1.0)
            lo, hi = chart_range(ys, series.unit)  # the HTML report's axis: no magnified noise
            plt.ylim(lo, hi * 1.05 if hi > 0 else hi)
            plt.title(f"{label} ({unit_text(series.unit)})")
            plt.xlabel(_("time (mm:ss)"))

    return SeriesPlot()


def _sparkline(series: Series) -> Widget:
    values = [v for v in series.values if v is not None]
    if not values:
        return Static(_("no values"))
    t = series.t
    line = sparkline(series.values, relative=True, gap=" ")
    text = (
        f"{line}\n"
        f"{clock(t[0])} … {clock(t[-1])}   "
        + _("min {low:g}  max {high:g} {unit}").format(
            low=min(values), high=max(values), unit=unit_text(series.unit))
    )
    return Static(text)


class TimelinesScreen(Screen[None]):
    """One tab per series, titled as its analyzer declared."""

    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"))]

    def __init__(self, scorecard: Scorecard) -> None:
        super().__init__()
        self.scorecard = scorecard

    def compose(self) -> ComposeResult:
        yield Header()
        series = ordered_series(self.scorecard)
        if not series:
            yield Static(_("No time series in this scorecard."), classes="hint")
        else:
            with TabbedContent():
                for i, s in enumerate(series):
                    label = series_label(self.scorecard, s)
                    with TabPane(label, id=f"series-{i}"):
                        with Vertical():
                            yield series_plot(s, label)
        yield LivelabFooter()
