"""Timelines: speaking rate, face presence, viewers and orders over the session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from livelab.api.analysis import clock
from livelab.tui.data import ordered_series, series_label, sparkline


def series_plot(series: Mapping[str, Any]) -> Widget:
    """A plotext chart when textual-plotext is installed, else a sparkline with its range."""
    t, values = list(series["t"]), list(series["values"])
    label = series_label(series["name"])
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
            if len(xs) > 12:
                plt.plot(xs, ys, marker="braille")
                ticks = xs[:: max(1, len(xs) // 6)]
                plt.xticks(ticks, [clock(x) for x in ticks])
            else:  # a few per-minute rows read better as labelled bars than as a line
                plt.bar([clock(x) for x in xs], ys, width=0.4)
            plt.title(f"{label} ({series.get('unit', '')})")
            plt.xlabel("time (mm:ss)")

    return SeriesPlot()


def _sparkline(series: Mapping[str, Any]) -> Widget:
    values = [v for v in series["values"] if v is not None]
    if not values:
        return Static("no values")
    t = series["t"]
    text = (
        f"{sparkline(series['values'])}\n"
        f"{clock(t[0])} … {clock(t[-1])}   min {min(values):g}  max {max(values):g} "
        f"{series.get('unit', '')}"
    )
    return Static(text)


class TimelinesScreen(Screen[None]):
    """One tab per series, the four a student looks at first."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, scorecard: dict[str, Any]) -> None:
        super().__init__()
        self.scorecard = scorecard

    def compose(self) -> ComposeResult:
        yield Header()
        series = ordered_series(self.scorecard)
        if not series:
            yield Static("No time series in this scorecard.", classes="hint")
        else:
            with TabbedContent():
                for i, s in enumerate(series):
                    with TabPane(series_label(s["name"]), id=f"series-{i}"):
                        with Vertical():
                            yield series_plot(s)
        yield Footer()
