"""HTML reports: one self-contained page per session, a class summary and a leaderboard.

One stack renders all three: Jinja2 templates (``templates/*.html.j2``, autoescape on) over a
shared base layout that inlines the stylesheet (``assets/``), and hand-drawn SVG charts
(:mod:`livelab.reports.html.charts`). The pages open offline: no JavaScript, nothing to fetch.
Everything a student, product card or plugin wrote reaches a page through the templates, so
it is escaped.

The views know no plugin: chart titles, section headings and transcript highlights come from
what the scorecard carries (see :mod:`livelab.reports.html.report`).

This module is also the built-in plugin ``livelab.html``: it offers the ``html`` reporter.
"""

from __future__ import annotations

from typing import Any

from livelab.api.hooks import hookimpl
from livelab.i18n import N_
from livelab.reports.html.leaderboard import render_leaderboard
from livelab.reports.html.report import render_report
from livelab.reports.html.summary import (
    Outlier,
    find_outliers,
    is_error_entry,
    render_class_summary,
)

__all__ = [
    "HtmlReporter",
    "Outlier",
    "find_outliers",
    "is_error_entry",
    "livelab_reporters",
    "render_class_summary",
    "render_leaderboard",
    "render_report",
]


class HtmlReporter:
    name = "html"
    suffix = ".html"
    description = N_("a self-contained HTML page: scorecard, charts, highlighted transcript")

    def render(self, scorecard: Any) -> str:
        return render_report(scorecard)


@hookimpl
def livelab_reporters() -> list[Any]:
    return [HtmlReporter()]
