"""The HTML stack without an analysis: escaping on all three pages, what the views take from
the scorecard (titles, highlights) and their fallbacks, typed scorecards, shipped templates.

Fast: it renders the golden sample scorecard (``tests/data/golden``) instead of analysing.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from livelab.reports.html import render_class_summary, render_leaderboard, render_report
from tests.conftest import TEST_DATA

GOLDEN = TEST_DATA / "golden" / "demo_en.scorecard.json"
EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PRODUCT = "AquaKeep insulated bottle"


@pytest.fixture
def sc() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def _hostile(sc: dict[str, Any]) -> dict[str, Any]:
    """The sample with a hostile anchor, team, title and product name (which reaches the
    page through evidence, highlights and the transcript)."""
    bad = copy.deepcopy(sc)
    bad["session"].update(anchor=EVIL, team=EVIL, title=EVIL)
    for e in bad["evidence"]:
        e["message"] = e["message"].replace(PRODUCT, EVIL)
    bad["highlights"] = [
        {"start_s": e["start_s"], "end_s": e["end_s"], "kind": "point", "label": EVIL,
         "text": e["message"], "analyzer": EVIL}
        for e in bad["evidence"] if e["start_s"] is not None
    ]
    seg = bad["transcript"]["segments"][1]
    seg["text"] = f"{EVIL} {seg['text']}"
    seg["words"].insert(0, [seg["words"][0][0], seg["words"][0][0], EVIL, 0.9])
    for s in bad["series"]:
        s["title"] = EVIL
    for a in bad["analyzers"].values():
        a["title"] = EVIL
    return bad


def _no_markup_from(page: str) -> None:
    assert "<script" not in page.lower()
    assert ESCAPED in page


def test_a_hostile_name_is_escaped_in_the_report(sc: dict[str, Any]) -> None:
    page = render_report(_hostile(sc))
    _no_markup_from(page)
    # Title, anchor, team, evidence rows, timeline marks, highlights' titles, the legend,
    # the transcript, chart titles and section headings: each one escaped.
    assert page.count(ESCAPED) > 40
    assert f"<title>{ESCAPED} — livelab report</title>" in page
    assert f"<h1>{ESCAPED}</h1>" in page


def test_a_hostile_name_is_escaped_in_the_class_summary(sc: dict[str, Any]) -> None:
    error = {"session": {"path": f"/c/{EVIL}/session.toml", "anchor": EVIL}, "error": EVIL}
    page = render_class_summary([_hostile(sc), error], links=[f'x.html"{EVIL}', None])
    _no_markup_from(page)
    assert f'<a href="x.html&#34;{ESCAPED}">{ESCAPED}</a>' in page


def test_a_hostile_name_is_escaped_in_the_leaderboard() -> None:
    from livelab.reports.leaderboard import Board, Run, TeamStanding

    run = Run(source=EVIL, team=EVIL, anchor=EVIL, title=f"{PRODUCT} {EVIL}", when=EVIL,
              rubric_id=EVIL, total=80.0, max_total=100.0, breaks=(None,))
    board = Board(rubric_id=EVIL, tie_breaks=(EVIL,), directions=("higher",),
                  runs=[(1, run, EVIL)],
                  teams=[(1, TeamStanding(EVIL, 80.0, 100.0, (None,), [run]))])
    page = render_leaderboard([board])
    _no_markup_from(page)
    assert page.count(ESCAPED) >= 8
    assert "80 / 100" in page and "▇" in page  # the trend's sparkline


def test_titles_and_highlights_come_from_the_scorecard(sc: dict[str, Any]) -> None:
    """A third-party analyzer gets the same report as a built-in one: its declared chart
    title, section heading and highlight kind."""
    sc["analyzers"]["gestures"] = {"status": "ran", "reason": "", "title": "Hands and gestures"}
    sc["series"].append({"name": "gestures.hands_visible", "title": "Hands in view",
                         "unit": "0/1", "t": [0.0, 10.0, 20.0], "values": [0, 1, 1]})
    word = sc["transcript"]["segments"][1]["words"][0]  # "Thanks"
    sc["highlights"] = [{"start_s": word[0], "end_s": word[1], "kind": "wave",
                         "label": "wave to the room", "text": "waved while greeting",
                         "analyzer": "gestures"}]
    page = render_report(sc)
    assert "<figcaption>Hands in view <span>Hands and gestures · 0/1</span>" in page
    assert '<mark class="hl-wave" title="waved while greeting">Thanks</mark>' in page
    assert '<div class="legend"><mark class="hl-wave">wave to the room</mark>' in page
    assert "wave to the room (1)" in page  # its lane in the timeline


def test_without_titles_or_highlights_the_names_show_and_nothing_is_marked(
    sc: dict[str, Any],
) -> None:
    """A version-1 scorecard (before plugins declared titles and highlights)."""
    old = json.loads(json.dumps(sc))
    old["schema"] = "livelab.scorecard/1"
    old.pop("highlights", None)
    for series in old["series"]:
        series.pop("title", None)
    for metric in old["metrics"].values():
        metric.pop("title", None)
    for analyzer in old["analyzers"].values():
        analyzer.pop("title", None)
    page = render_report(old)
    assert "<figcaption>pace.rate_timeline <span>pace · wpm" in page
    assert "<mark" not in page.split('<div class="transcript">', 1)[1]


def test_a_typed_scorecard_renders_as_its_json(sc: dict[str, Any]) -> None:
    scoring = pytest.importorskip("livelab.scoring.scorecard")
    if not hasattr(scoring, "read_scorecard"):
        pytest.skip("no typed scorecard in this livelab")
    typed = scoring.read_scorecard(sc)
    as_json = json.loads(json.dumps(typed.to_dict()))
    assert render_report(typed) == render_report(as_json)
    error = {"session": {"path": "/c/broken/session.toml"}, "status": "error",
             "error": "no recording"}
    typed_error = scoring.read_entry(error) if hasattr(scoring, "read_entry") else error
    assert render_class_summary([typed, typed_error]) == render_class_summary([as_json, error])


def test_the_templates_ship_in_the_package_and_every_page_is_offline(
    sc: dict[str, Any],
) -> None:
    from importlib.resources import files

    package = files("livelab.reports.html")
    names = {p.name for p in package.joinpath("templates").iterdir()}
    assert {"base.html.j2", "report.html.j2", "summary.html.j2",
            "leaderboard.html.j2"} <= names
    assert package.joinpath("assets", "report.css").is_file()
    from livelab.reports.leaderboard import Board

    for page in (render_report(sc), render_class_summary([sc]),
                 render_leaderboard([Board("r", (), (), [], [])])):
        assert page.startswith("<!DOCTYPE html>") and "<style>" in page
        assert not re.search(r"<(script|link|img|iframe)\b|@import|url\(|\bsrc=", page, re.I)
        assert "http://" not in page and "https://" not in page


def test_a_mandarin_page_says_so(sc: dict[str, Any]) -> None:
    zh = json.loads((GOLDEN.parent / "demo_zh.scorecard.json").read_text(encoding="utf-8"))
    assert '<html lang="zh-CN">' in render_report(zh)
    assert '<html lang="zh-CN">' in render_class_summary([zh])
    assert '<html lang="mul">' in render_class_summary([zh, sc])
