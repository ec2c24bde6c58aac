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


def test_a_page_says_its_language_and_a_transcript_in_another_says_its_own(
    sc: dict[str, Any],
) -> None:
    from livelab import i18n

    zh = json.loads((GOLDEN.parent / "demo_zh.scorecard.json").read_text(encoding="utf-8"))
    assert '<html lang="zh-CN">' in render_report(zh)  # nothing chose: the session's language
    assert i18n.current() == "en"  # … only while that page was rendered
    assert '<html lang="en">' in render_class_summary([zh, sc])  # the teacher's language
    i18n.activate("en", "--lang")
    page = render_report(zh)
    assert '<html lang="en">' in page and '<div class="transcript" lang="zh-CN">' in page
    i18n.activate("zh", "--lang")
    assert '<html lang="zh-CN">' in render_class_summary([zh, sc])


TUI_ZH = TEST_DATA / "tui" / "scorecard_demo_zh.json"
#: Words of the page itself (not of the student or a plugin) that must not stay English.
CHROME = ("Fix these first", "Criteria", "Evidence", "Transcript", "Over time", "Total",
          "every criterion was scored", "Not scored", "Anchor", "recorded")


def _text(page: str) -> str:
    import html

    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_report_of_a_mandarin_session_is_chinese_and_its_evidence_too() -> None:
    zh = json.loads(TUI_ZH.read_text(encoding="utf-8"))
    page = render_report(zh)
    text = _text(page)
    for heading in ("优先改进", "评分项", "依据", "转写稿", "随时间变化", "总分", "主播", "录制于"):
        assert heading in text, heading
    for word in CHROME:
        assert not re.search(rf"\b{word}\b", text), word
    # evidence written as data renders in Chinese (冷场), its English kept in the JSON
    dead_air = [e for e in zh["evidence"] if e.get("kind") == "dead_air"]
    assert dead_air and "dead air" in dead_air[0]["message"]
    assert "冷场" in text and dead_air[0]["message"] not in text
    assert "2026年12月1日 20:00" in text  # the date as Chinese writes it
    assert "−5 分" in text and "−5 points" not in text
    # what the plugins declare, from their own catalogs: chart titles, sections, legend
    for declared in ("人脸在镜头内", "在线人数", "卖点", "违规用语", "讲话"):
        assert declared in text, declared
    assert "Face on camera" not in text and '<mark class="hl-point">卖点</mark>' in page
    assert "语速 / Speaking pace" not in text and "语速" in text  # one side of the title
    # the metrics' descriptions ("All measurements"), and the charts' units
    assert "说话时的语速（不含停顿）" in text and "Speaking rate while speaking" not in text
    assert ">字/分钟</text>" in page and ">cpm</text>" not in page


def test_the_same_scorecard_reads_in_english_when_asked() -> None:
    from livelab import i18n

    i18n.activate("en", "--lang")
    text = _text(render_report(json.loads(TUI_ZH.read_text(encoding="utf-8"))))
    assert "Fix these first" in text and "dead air" in text and "2026-12-01 20:00" in text
    assert "Speaking pace" in text and "优先改进" not in text


def test_class_summary_and_leaderboard_speak_chinese(sc: dict[str, Any]) -> None:
    from livelab import i18n
    from livelab.reports.leaderboard import Board, Run, TeamStanding

    i18n.activate("zh", "--lang")
    zh = json.loads(TUI_ZH.read_text(encoding="utf-8"))
    broken = {"session": {"path": "x/session.toml"}, "error": "boom"}
    text = _text(render_class_summary([zh, sc, broken]))
    for heading in ("班级汇总", "名单", "已评分直播", "无法评分", "异常值", "错误"):
        assert heading in text, heading
    for word in ("Class summary", "Roster", "Sessions graded", "Outliers", "Status"):
        assert word not in text, word
    run = Run(source="a.json", team="一队", anchor="王小明", title="第一次",
              when="2026-12-01T20:00:00", rubric_id="contest",
              total=80.0, max_total=100.0, breaks=(None,))
    board = Board(rubric_id="contest", tie_breaks=(), directions=(), runs=[(1, run, "")],
                  teams=[(1, TeamStanding("一队", 80.0, 100.0, (None,), [run]))])
    page = render_leaderboard([board])
    text = _text(page)
    assert '<html lang="zh-CN">' in page and "排行榜" in text and "团队" in text
    assert "团队共同" not in text  # the column is the team, not the shared role
    assert "2026年12月1日 20:00" in text and "Leaderboard" not in text
