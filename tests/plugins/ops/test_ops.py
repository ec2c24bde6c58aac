"""livelab_ops: importing operations exports and the exact funnel formulas."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import livelab
from livelab import LivelabError, Message, OpsFormat, Segment, Signals, Transcript, Word
from livelab.engine.plugins import load_plugins, pm
from livelab.inputs.session import Session
from livelab_ops import OpsAnalyzer, OpsProductsAnalyzer, OpsSpeechAnalyzer, measure, read_ops
from livelab_ops.speech import SpeechOptions, measure_dead_air, measure_pitches
from livelab_ops.table import parse_number, parse_time
from tests.conftest import REPO, TEST_DATA

DATA = TEST_DATA / "ops"
#: The metrics of the traffic columns (exposures, entries by source, ad spend).
TRAFFIC = {"ops.exposures", "ops.entry_rate", "ops.natural_share", "ops.paid_share",
           "ops.ad_spend", "ops.roi"}
DEMO = REPO / "sample_sessions" / "demo_en"
HEADER = ("t,online,entries,exits,views,likes,comments,shares,new_followers,"
          "product_impressions,product_clicks,orders,buyers,gmv,product")


def write(tmp_path: Path, text: str, name: str = "ops.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(LivelabError) as caught:
        read_ops(path)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ formulas, by hand


def test_every_formula_on_the_canonical_table() -> None:
    # Rows at 0, 60, 180, 240 s: intervals 60, 120, 60 and the last row the median gap, 60.
    f = measure(read_ops(DATA / "canonical.csv"))
    gmv = 198 + 297 + 59.9
    expected = {
        "ops.pcu": 200,
        # (100×60 + 200×120 + 150×60 + 50×60) / 300 = 42000 / 300; a plain mean would be 125
        "ops.acu": 140,
        "ops.uv": 120 + 150 + 30,
        "ops.views": 150 + 180 + 40,
        "ops.avg_watch_s": 42000 / 300,
        "ops.interaction_rate": (80 + 27 + 6) / 300,
        "ops.follow_rate": 12 / 300,
        "ops.ctr": 60 / 250,
        "ops.click_to_order": 6 / 60,
        "ops.watch_to_order": 5 / 300,  # buyers, not orders
        "ops.gmv": gmv,
        "ops.gpm": gmv / 370 * 1000,  # divides by views
        "ops.uv_value": gmv / 300,
        "ops.aov": gmv / 6,
        # product A: 5 orders of 50 clicks; B: 1 of 10; both 10 %
        "ops.product_click_to_order_min": min(5 / 50, 1 / 10),
    }
    assert set(f.unmeasured) == TRAFFIC  # the canonical table has no traffic columns
    assert set(f.metrics) == set(expected)
    for name, value in expected.items():
        assert f.metrics[name] == pytest.approx(value, rel=1e-12), name
    assert f.details["format"] == "livelab"
    assert f.details["last_row_interval_s"] == 60
    assert f.details["per_product"]["A"]["orders"] == 5
    assert f.details["per_product"]["B"]["gmv"] == pytest.approx(59.9)
    assert f.evidence[0].text == "peak 200 viewers (row 3)"


def test_metric_names_and_analyzer_declaration_match() -> None:
    names = {s.name for s in OpsAnalyzer.metrics}
    f = measure(read_ops(DATA / "canonical.csv"))
    assert names == set(f.metrics) | set(f.unmeasured)
    assert OpsAnalyzer.needs == frozenset({"ops"})


def test_series_follow_the_exports_rows_and_weight_online_by_time(tmp_path: Path) -> None:
    f = measure(read_ops(DATA / "canonical.csv"))
    series = {s.name: s for s in f.series}
    assert series["ops.online"].t == (0.0, 60.0, 120.0, 180.0, 240.0)  # a per-minute export
    # the 200-viewer row lasts two minutes: 01:00–03:00
    assert series["ops.online"].values == (100.0, 200.0, 200.0, 150.0, 50.0)
    assert series["ops.orders"].values == (2.0, 3.0, 0.0, 1.0, 0.0)
    assert series["ops.gmv"].values == pytest.approx((198, 297, 0, 59.9, 0))
    assert series["ops.orders"].title == "Orders per minute"
    # rows every 10 s (a recorded take): a 60 s take is six bars, not one flat minute
    rows = "".join(f"{10 * i},{14 + 4 * i},{i % 2}\n" for i in range(6))
    path = write(tmp_path, "t,online,orders\n" + rows)
    take = {s.name: s for s in measure(read_ops(path)).series}
    assert take["ops.online"].t == (0.0, 10.0, 20.0, 30.0, 40.0, 50.0)
    assert take["ops.online"].values == (14.0, 18.0, 22.0, 26.0, 30.0, 34.0)
    assert take["ops.orders"].title == "Orders per 10 s"


def test_chinese_export_with_wan_yuan_and_thousands() -> None:
    table = read_ops(DATA / "douyin_zh.csv")
    assert table.format == "douyin_zh"
    assert table.time_kind == "clock"
    assert list(table.t) == [0, 60, 120]
    assert list(table.columns["entries"]) == [12000, 8000, 3000]
    assert list(table.columns["gmv"]) == [12345.6, 12000, 8888]
    f = measure(table)
    gmv = 12345.6 + 12000 + 8888
    expected = {
        "ops.pcu": 2500,
        "ops.acu": 5500 / 3,
        "ops.uv": 23000,
        "ops.views": 29000,
        "ops.avg_watch_s": 5500 * 60 / 23000,
        "ops.interaction_rate": 6500 / 23000,
        "ops.follow_rate": 200 / 23000,
        "ops.ctr": 4000 / 16000,
        "ops.click_to_order": 300 / 4000,
        "ops.watch_to_order": 250 / 23000,
        "ops.gmv": gmv,
        "ops.gpm": gmv / 29000 * 1000,
        "ops.uv_value": gmv / 23000,
        "ops.aov": gmv / 300,
    }
    for name, value in expected.items():
        assert f.metrics[name] == pytest.approx(value, rel=1e-12), name
    assert f.details["format"] == "douyin_zh"
    assert f.details["columns"]["gmv"] == "成交金额（元）"


def test_gbk_export_and_totals_row(tmp_path: Path) -> None:
    text = ("时间,在线人数,进入直播间人数,成交金额\n"
            "2024-05-01 23:59:00,10,100,¥5\n2024-05-02 00:01:00,20,50,3元\n合计,,120,8\n")
    table = read_ops(write(tmp_path, text, encoding="gb18030"))
    assert table.encoding == "gb18030"
    assert list(table.t) == [0, 120]  # a date and time counts from the first row
    f = measure(table)
    assert f.metrics["ops.uv"] == 120  # the export's own total (re-entries counted once)
    assert f.details["uv_from"] == "the totals row (row 4)"
    assert f.details["totals"]["entries"] == {"export": 120, "rows": 150}


def test_clock_time_passes_midnight(tmp_path: Path) -> None:
    table = read_ops(write(tmp_path, "t,online\n23:59:00,1\n00:00:30,2\n00:01:30,3\n"))
    assert list(table.t) == [0, 90, 150]


def test_times_as_seconds_mm_ss_and_h_mm_ss_are_offsets(tmp_path: Path) -> None:
    table = read_ops(write(tmp_path, "t,online\n30,1\n01:30,2\n0:02:30,3\n1:00:00,4\n"))
    assert table.time_kind == "offset"
    assert list(table.t) == [30, 90, 150, 3600]  # offsets keep their origin (the recording's)


@pytest.mark.parametrize(("cell", "value"), [
    ("12", 12), ("¥1,234.50", 1234.5), ("1.2万", 12000), ("￥3.5万元", 35000), ("$7", 7),
    ("8元", 8), (" 1,000,000 ", 1e6), ("０.５万", 5000), ("2.5亿", 2.5e8), ("0", 0),
])
def test_numbers(cell: str, value: float) -> None:
    assert parse_number(cell) == value


@pytest.mark.parametrize(("cell", "words"), [
    ("=1+2", "is not a number"), ("@SUM(A1)", "is not a number"), ("-3", "is negative"),
    ("abc", "is not a number"), ("1,23", "commas may only separate thousands"),
    ("", "is blank"), ("nan", "is not a number"), ("inf", "is not a number"),
    ("1.2.3", "is not a number"),
])
def test_not_numbers(cell: str, words: str) -> None:
    message = parse_number(cell)
    assert isinstance(message, Message) and words in str(message)


@pytest.mark.parametrize(("cell", "seconds"), [
    ("0", 0), ("90.5", 90.5), ("01:30", 90), ("75:00", 4500), ("1:01:30", 3690),
])
def test_times(cell: str, seconds: float) -> None:
    assert parse_time(cell)[1] == seconds


# ------------------------------------------------------------------ bad input


def test_missing_time_column(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "online,orders\n1,2\n"))
    assert problem.startswith(f"{tmp_path / 'ops.csv'}: row 1: no time column")
    assert "'online', 'orders'" in problem and "'时间'" in problem


def test_negative_number(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "t,orders\n0,1\n60,-2\n"))
    assert problem == (f"{tmp_path / 'ops.csv'}: row 3, column 'orders': '-2' is negative; "
                       "counts and amounts cannot be below 0")


def test_duplicate_and_backwards_times(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "t,orders\n0,1\n60,1\n60,1\n30,1\n"))
    assert problems == [
        f"{tmp_path / 'ops.csv'}: row 4, column 't': '60' repeats the time of row 3 ('60'); "
        "times must increase row by row",
        f"{tmp_path / 'ops.csv'}: row 5, column 't': '30' is earlier than row 4 ('60'); "
        "times must increase row by row",
    ]


def test_blank_cells(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "t,online,orders\n0,5,\n,6,1\n"))
    assert problems == [
        f"{tmp_path / 'ops.csv'}: row 2, column 'orders': is blank (write 0 if nothing happened)",
        f"{tmp_path / 'ops.csv'}: row 3, column 't': is blank; every row needs a time",
    ]


def test_text_in_a_numeric_column_names_the_users_header(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "时间,成交订单数\n0,abc\n"))
    assert problem == (
        f"{tmp_path / 'ops.csv'}: row 2, column '成交订单数' (orders): 'abc' is not a number"
    )


def test_zero_rows_and_empty_file(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, HEADER + "\n\n"))
    assert problem.endswith("row 2: has a header but no data rows")
    [problem] = problems_of(write(tmp_path, "", name="empty.csv"))
    assert "is empty" in problem


def test_ragged_rows_and_rows_after_totals(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "t,orders\n0,1,9\n合计,1\n60,1\n"))
    assert problems[0].endswith("row 2: has 3 cells but the header has 2")
    assert problems[1].endswith(
        "row 4: comes after the totals row (row 3); totals must be the last row"
    )


def test_two_headers_for_one_column(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "时间,订单数,成交订单数\n0,1,1\n"))
    assert "row 1" in problem and "both mean 'orders'" in problem


def test_problems_are_capped_but_counted(tmp_path: Path) -> None:
    rows = "".join(f"{i},x\n" for i in range(30))
    problems = problems_of(write(tmp_path, "t,orders\n" + rows))
    assert len(problems) == 21 and problems[-1].endswith("… and 10 more problems")


def test_formula_cells_are_data_not_evaluated(tmp_path: Path) -> None:
    text = 't,orders,product\n0,1,"=HYPERLINK(""http://x"")"\n60,2,@cmd\n120,0,-not a number\n'
    table = read_ops(write(tmp_path, text))
    assert table.products == ('=HYPERLINK("http://x")', "@cmd", "-not a number")
    [problem] = problems_of(write(tmp_path, "t,orders\n0,=2+3\n"))
    assert "'=2+3' is not a number" in problem


def test_unknown_columns_are_reported_not_dropped_silently(tmp_path: Path) -> None:
    f = measure(read_ops(write(tmp_path, "t,online,mood,\n0,1,happy,\n60,2,sad,\n")))
    assert f.details["ignored_columns"] == ["mood", "(unnamed column 4)"]


# ------------------------------------------------------------------ unmeasured, never 0


def test_absent_columns_name_the_column(tmp_path: Path) -> None:
    f = measure(read_ops(write(tmp_path, "t,online,entries,gmv\n0,10,10,5\n60,20,5,0\n")))
    assert str(f.unmeasured["ops.ctr"]) == (
        "ops.csv has no 'product_clicks' and 'product_impressions' columns (format livelab)")
    assert "'orders'" in str(f.unmeasured["ops.aov"])
    interaction = str(f.unmeasured["ops.interaction_rate"])
    assert "no 'likes', 'comments' and 'shares' columns" in interaction
    assert "'orders'" in str(f.unmeasured["ops.watch_to_order"])  # neither buyers nor orders
    assert f.metrics["ops.views"] == 15  # falls back to uv
    assert f.details["views_from"] == "ops.uv (no views column)"
    assert f.metrics["ops.gpm"] == pytest.approx(5 / 15 * 1000)
    assert f.metrics["ops.avg_watch_s"] == pytest.approx((10 * 60 + 20 * 60) / 15)


def test_zero_denominators_are_undefined(tmp_path: Path) -> None:
    text = ("t,online,entries,views,product_impressions,product_clicks,orders,gmv\n"
            "0,0,0,0,0,0,0,0\n60,0,0,0,0,0,0,0\n")
    f = measure(read_ops(write(tmp_path, text)))
    assert str(f.unmeasured["ops.click_to_order"]) == "undefined: no product clicks"
    assert str(f.unmeasured["ops.ctr"]) == "undefined: no product impressions"
    assert str(f.unmeasured["ops.aov"]) == "undefined: no orders"
    assert str(f.unmeasured["ops.gpm"]) == "undefined: no views"
    assert str(f.unmeasured["ops.avg_watch_s"]) == "undefined: no viewers (uv is 0)"
    assert f.metrics["ops.uv"] == 0 and f.metrics["ops.gmv"] == 0  # known zeros are values
    assert all(math.isfinite(v) for v in f.metrics.values())


def test_orders_stand_in_for_buyers(tmp_path: Path) -> None:
    f = measure(read_ops(write(tmp_path, "t,entries,orders\n0,50,2\n60,50,3\n")))
    assert f.metrics["ops.watch_to_order"] == pytest.approx(5 / 100)
    assert f.details["watch_to_order_from"] == "orders"


def test_single_row_lasts_until_the_recording_ends(tmp_path: Path) -> None:
    table = read_ops(write(tmp_path, "t,online,entries\n30,40,80\n"))
    assert measure(table, duration_s=90).metrics["ops.avg_watch_s"] == pytest.approx(40 * 60 / 80)
    f = measure(table, duration_s=None)
    assert f.metrics["ops.acu"] == 40
    assert "one row" in str(f.unmeasured["ops.avg_watch_s"])


# ------------------------------------------------------------------ formats through the hook


class EnglishDashboard:
    @livelab.hookimpl
    def livelab_ops_formats(self) -> list[OpsFormat]:
        return [OpsFormat("dash_en", "an English dashboard", {"Time": "t", "Viewers": "online",
                                                              "Orders": "orders"})]


@pytest.fixture
def english_dashboard():
    load_plugins()
    plugin = EnglishDashboard()
    pm.register(plugin, name="test-dash-en")
    try:
        yield plugin
    finally:
        pm.unregister(plugin)


def test_formats_come_from_the_hook(tmp_path: Path, english_dashboard: object) -> None:
    from livelab.engine.plugins import get_analyzers, ops_formats

    hooked = [f.name for provided in pm.hook.livelab_ops_formats() for f in provided]
    assert {"livelab", "douyin_zh", "dash_en"} <= set(hooked)  # ours come through the hook
    assert {"ops", "ops_speech", "ops_products"} <= set(get_analyzers())
    names = [f.name for f in ops_formats()]  # what the core hands to analyzers
    assert {"livelab", "douyin_zh", "dash_en"} <= set(names)
    assert len(names) == len(set(names))
    path = write(tmp_path, "Time,Viewers,Orders\n0,3,1\n60,4,0\n")
    table = read_ops(path, ops_formats())
    assert table.format == "dash_en"
    assert measure(table).metrics["ops.pcu"] == 4
    # the analyzer reads it with the formats in its signals
    session = Session(root=tmp_path, title="t", files={"ops": path})
    signals = Signals(session=session, duration_s=120.0, ops_formats=ops_formats())
    assert OpsAnalyzer().analyze(signals).metrics["ops.pcu"] == 4


# ------------------------------------------------------------------ never invents or drops a row

_good_cells = st.one_of(
    st.integers(0, 10**7).map(str),
    st.integers(0, 10**7).map(lambda v: f"{v:,}"),
    st.integers(0, 10**5).map(lambda v: f"¥{v}"),
    st.integers(0, 10**4).map(lambda v: f"{v}元"),
    st.integers(0, 999).map(lambda v: f"{v / 10}万"),
    st.decimals(0, 10**6, places=2).map(str),
)
# Neither a number nor a time: the import must refuse them, never guess.
_bad_cells = st.sampled_from(["", " ", "-1", "abc", "=1+2", "@A1", "1,2", "+", "1e3", "NaN", "-"])


@settings(max_examples=120, deadline=None, database=None,  # no .hypothesis/ in the repo
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.integers(1, 120), max_size=30),
       cells=st.lists(_good_cells, min_size=60, max_size=60),
       blank_lines=st.booleans(),
       corrupt=st.none() | st.tuples(st.integers(0, 10**6), st.sampled_from(["t", "orders", "gmv"]),
                                     _bad_cells))
def test_import_never_invents_or_drops_rows(tmp_path: Path, gaps: list[int], cells: list[str],
                                            blank_lines: bool, corrupt) -> None:
    times = [sum(gaps[:i]) for i in range(len(gaps))]
    rows = [[str(time), cells[2 * i], cells[2 * i + 1]] for i, time in enumerate(times)]
    bad_at = None
    if corrupt is not None and rows:
        index, column, cell = corrupt
        index %= len(rows)
        rows[index][("t", "orders", "gmv").index(column)] = cell
        bad_at = f"row {2 + index * (2 if blank_lines else 1)}, column '{column}'"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["t", "orders", "gmv"])
    for row in rows:
        writer.writerow(row)
        if blank_lines:
            buffer.write("\n")
    path = write(tmp_path, buffer.getvalue(), name="prop.csv")
    if not rows or bad_at:
        with pytest.raises(LivelabError) as caught:
            read_ops(path)
        keys = [str(p.key) for p in caught.value.problems]
        assert keys == ([bad_at] if bad_at else ["row 2"])
        return
    table = read_ops(path)
    assert len(table) == len(rows)
    assert list(table.t) == times
    assert list(table.row_numbers) == [2 + i * (2 if blank_lines else 1) for i in range(len(rows))]
    assert list(table.columns["orders"]) == [parse_number(r[1]) for r in rows]
    assert list(table.columns["gmv"]) == [parse_number(r[2]) for r in rows]
    independent = sum(Decimal(_plain(r[2])) for r in rows)
    assert sum(table.columns["gmv"]) == pytest.approx(float(independent))


def _plain(cell: str) -> str:
    """An independent reading of the generated forms, to check parse_number against."""
    text = cell.replace(",", "").replace("¥", "").replace("元", "")
    return str(Decimal(text[:-1]) * 10_000) if text.endswith("万") else text


# ------------------------------------------------------------------ end to end


def _recording() -> Path:
    for candidate in (DEMO / "pitch.mp4",):
        if candidate.is_file():
            return candidate
    pytest.skip(f"no sample recording at {DEMO / 'pitch.mp4'} yet")


def test_through_the_core(tmp_path: Path) -> None:
    from livelab.engine.pipeline import analyze_session

    good = Session(root=tmp_path, title="t", files={"recording": _recording(),
                                                    "ops": DATA / "canonical.csv"})
    run = analyze_session(good, [OpsAnalyzer()]).runs["ops"]
    assert run.status == "ran" and run.findings is not None
    # The 90 s recording keeps the rows at 00:00 and 01:00 (60 s each): the rows at 03:00
    # and 04:00 are after its end, so they are named and not counted.
    assert run.findings.metrics["ops.acu"] == (100 * 60 + 200 * 60) / 120
    assert [str(w) for w in run.findings.warnings] == [  # a message, English as text
        "canonical.csv: 2 of 4 rows (from 03:00) are after the recording's end at 01:30; "
        "they are not counted"
    ]
    bad = write(tmp_path, "t,orders\n0,abc\n")
    (tmp_path / "other").mkdir()
    session = Session(root=tmp_path / "other", title="t",
                      files={"recording": _recording(), "ops": bad})
    run = analyze_session(session, [OpsAnalyzer()]).runs["ops"]
    assert run.status == "failed"
    assert "row 2, column 'orders': 'abc' is not a number" in str(run.reason)
    no_ops = Session(root=tmp_path / "other", title="t", files={"recording": _recording()})
    run = analyze_session(no_ops, [OpsAnalyzer()]).runs["ops"]
    assert run.status == "not run" and "no ops file" in str(run.reason)


def test_sample_session_ops_imports_cleanly() -> None:
    path = DEMO / "ops.csv"
    if not path.is_file():
        pytest.skip(f"{path} does not exist yet")
    table = read_ops(path)
    assert table.format == "livelab" and len(table) > 0
    f = measure(table)
    assert not [m for m, why in f.unmeasured.items() if "has no" in str(why) and m not in TRAFFIC]


# ------------------------------------------------------------------ tied to the speech


def _words(*spans: tuple[float, float]) -> Transcript:
    words = tuple(Word(a, b, "word") for a, b in spans)
    return Transcript("en", "test", 20.0, (Segment(spans[0][0], spans[-1][1], "words", words),))


def test_exits_during_dead_air(tmp_path: Path) -> None:
    # Rows every 2 s; the anchor is silent 6.0–10.0 s (4 s ≥ the 3 s threshold).
    exits = [0, 0, 0, 1, 2, 0, 0, 1, 0, 0]
    online = [50, 50, 50, 50, 48, 47, 47, 47, 46, 46]
    text = "t,online,exits\n" + "".join(
        f"{2 * i},{o},{e}\n" for i, (o, e) in enumerate(zip(online, exits, strict=True)))
    table = read_ops(write(tmp_path, text))
    transcript = _words((0.5, 1.0), (1.2, 6.0), (10.0, 12.0), (12.5, 19.0))
    f = measure_dead_air(table, transcript, None, SpeechOptions())
    assert f.metrics["ops.dead_air_exits"] == 3  # rows 6–8 s and 8–10 s
    # 3 exits in 4 s of silence vs 1 exit in 14.5 s of speech (0.5–19 s minus the silence)
    assert f.metrics["ops.dead_air_exit_ratio"] == pytest.approx((3 / 4) / (1 / 14.5))
    assert f.evidence[0].text == "dead air (4.0 s): 3.0 exits, online 50 → 47"
    calm = measure_dead_air(table, _words((0, 5), (6, 19)), None, SpeechOptions())
    assert calm.metrics["ops.dead_air_exits"] == 0
    assert str(calm.unmeasured["ops.dead_air_exit_ratio"]).startswith("undefined: no dead air")


def test_speech_tie_ins_refuse_clock_times_and_missing_exits(tmp_path: Path) -> None:
    transcript = _words((0, 1), (5, 6))
    clock = read_ops(DATA / "douyin_zh.csv")
    f = measure_dead_air(clock, transcript, None, SpeechOptions())
    assert "clock times (from 20:00:00)" in str(f.unmeasured["ops.dead_air_exits"])
    no_exits = read_ops(write(tmp_path, "t,online\n0,1\n60,2\n"))
    f = measure_dead_air(no_exits, transcript, None, SpeechOptions())
    said = str(f.unmeasured["ops.dead_air_exits"])
    assert said == "ops.csv has no 'exits' column (format livelab)"


def test_gmv_during_each_pitch_with_the_order_lag(tmp_path: Path) -> None:
    gmv = {0: 100, 40: 200, 70: 300, 90: 400, 110: 50}
    text = "t,gmv,orders\n" + "".join(
        f"{t},{gmv.get(t, 0)},{1 if t in gmv else 0}\n" for t in range(0, 120, 10))
    table = read_ops(write(tmp_path, text))
    transcript = Transcript("en", "test", 90.0, (
        Segment(0, 10, "Hello everyone"),
        Segment(10, 30, "This Aqua Bottle keeps water cold"),
        Segment(30, 50, "and it is light"),
        Segment(50, 70, "Now the travel  mug"),
        Segment(70, 90, "it fits the cup holder"),
    ))
    products = [SimpleNamespace(id="bottle", names=("Aqua Bottle",)),
                SimpleNamespace(id="mug", names=("Travel Mug", "mug"))]
    f = measure_pitches(table, transcript, products, None, SpeechOptions(order_lag_s=30))
    # bottle on air 10–50 s → sales window 40–80 s; mug 50–90 s → 80–120 s
    assert f.details["per_product_pitch"] == {
        "bottle": {"seconds": 40, "gmv": 500, "orders": 2},
        "mug": {"seconds": 40, "gmv": 450, "orders": 2},
    }
    assert f.metrics["ops.pitch_gmv_share"] == pytest.approx(950 / 1050)


def test_ops_products_analyzer_reads_product_cards(tmp_path: Path) -> None:
    cards = write(tmp_path, "products:\n  - id: bottle\n    name: Aqua Bottle\n    price: 99\n"
                  "    selling_points: [{id: cold, label: keeps water cold}]\n",
                  name="products.yaml")
    ops = write(tmp_path, "t,gmv\n0,10\n30,20\n")
    session = Session(root=tmp_path, title="t", files={"ops": ops, "products": cards})
    transcript = Transcript("en", "test", 60.0, (Segment(0, 20, "the aqua bottle"),))
    signals = Signals(session=session, duration_s=60.0, transcript=transcript,
                      products=livelab.read_products(cards))
    f = OpsProductsAnalyzer(SpeechOptions(order_lag_s=0)).analyze(signals)
    # on air 0–20 s: the first row's 10 (0–30 s) spread evenly → 20/30 of it
    assert f.metrics["ops.pitch_gmv_share"] == pytest.approx((10 * 20 / 30) / 30)
    speech = OpsSpeechAnalyzer().analyze(signals)
    assert "no 'exits' column" in str(speech.unmeasured["ops.dead_air_exits"])


def test_many_rows_stream_in_chunks_and_problems_keep_their_rows(tmp_path: Path) -> None:
    n = 25_000  # several parsing chunks
    lines = [f"{i},{i % 7},{i % 3}.5" for i in range(n)]
    table = read_ops(write(tmp_path, "t,orders,gmv\n" + "\n".join(lines) + "\n"))
    assert len(table) == n and table.row_numbers[-1] == n + 1
    assert table.columns["orders"].sum() == sum(i % 7 for i in range(n))
    assert table.columns["gmv"].sum() == pytest.approx(sum(i % 3 + 0.5 for i in range(n)))
    assert not table.columns["gmv"].flags.writeable  # shared between analyzers
    lines[21_000] = "21000,1,¥2万"  # the slow path inside a late chunk
    lines[22_222] = "22222,x,1"
    problems = problems_of(write(tmp_path, "t,orders,gmv\n" + "\n".join(lines) + "\n"))
    assert problems == [f"{tmp_path / 'ops.csv'}: row 22224, column 'orders': 'x' is not a number"]


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "t,orders\n0,1\n")
    assert read_ops(path).columns["orders"][0] == 1
    path.write_text("t,orders\n0,2\n", encoding="utf-8")  # same size, maybe the same mtime
    assert read_ops(path).columns["orders"][0] == 2


def test_the_traffic_side_exposure_sources_ad_spend_roi_and_each_products_conversion() -> None:
    """tests/data/ops/traffic_zh.csv, worked by hand: 3 minutes, 600 entries (its totals
    row), 5,000 + 4,000 + 1.2万 exposures, 380 natural and 220 paid entries, ¥300.5 spent."""
    table = read_ops(DATA / "traffic_zh.csv")
    assert table.format == "douyin_zh" and not table.ignored_columns
    f = measure(table)
    m = f.metrics
    assert m["ops.exposures"] == 21_000
    assert m["ops.entry_rate"] == pytest.approx(600 / 21_000)
    assert m["ops.natural_share"] == pytest.approx(380 / 600)
    assert m["ops.paid_share"] == pytest.approx(220 / 600)
    assert m["ops.natural_share"] + m["ops.paid_share"] == pytest.approx(1)
    assert m["ops.ad_spend"] == pytest.approx(300.5)
    assert m["ops.roi"] == pytest.approx(1440 / 300.5)
    products = f.details["per_product"]
    assert products["保温杯"]["click_to_order"] == pytest.approx(18 / 150)
    assert products["保温杯"]["ctr"] == pytest.approx(150 / 700)
    assert products["面膜"]["click_to_order"] == pytest.approx(2 / 40)
    assert m["ops.product_click_to_order_min"] == pytest.approx(2 / 40)
    assert "weakest product: 面膜 — 40 clicks, 2 orders (5%)" in [str(e.message)
                                                                 for e in f.evidence]


def test_traffic_metrics_are_unmeasured_with_the_column_named_never_zero(tmp_path: Path) -> None:
    f = measure(read_ops(DATA / "canonical.csv"))
    assert "ops.roi" not in f.metrics and "ops.entry_rate" not in f.metrics
    assert str(f.unmeasured["ops.roi"]) == "canonical.csv has no 'ad_spend' column (format livelab)"
    assert "'natural_entries' and 'paid_entries'" in str(f.unmeasured["ops.paid_share"])
    zero = write(tmp_path, "t,entries,exposures,ad_spend,gmv,natural_entries,paid_entries\n"
                           "0,0,0,0,100,0,0\n60,0,0,0,50,0,0\n")
    f = measure(read_ops(zero))
    assert str(f.unmeasured["ops.entry_rate"]) == "undefined: no exposures"
    assert str(f.unmeasured["ops.roi"]) == "undefined: no ad spend"
    assert str(f.unmeasured["ops.natural_share"]) == "undefined: no entries from either source"
    assert f.metrics["ops.ad_spend"] == 0 and f.metrics["ops.exposures"] == 0  # real zeros
    assert "product" in str(f.unmeasured["ops.product_click_to_order_min"])
