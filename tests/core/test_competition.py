"""Competition prep on the real sample: packs, timed rounds, product times, roles, judges,
leaderboard. The sample is analysed once (every analyzer); the rest re-scores the cache."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelab.api.errors import RubricError
from livelab.cli import cli
from livelab.engine.plugins import load_plugins, metric_specs
from livelab.engine.runner import Job, score_session
from livelab.scoring.rubric import Round, builtin_rubrics, find_rubric, load_rubric
from livelab.scoring.scorecard import (
    JudgeEntry,
    apply_rubric,
    read_results,
    read_scorecard,
    write_scorecard,
)
from tests.conftest import SAMPLE

CONTEST = "contest-live-ecommerce-zh"
ROLES = ("anchor", "assistant", "operations", "selection", "traffic")
NEW_PACKS = ("anchor-basics-zh", CONTEST, "standard-internet-marketer-live")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("competition") / "demo_en"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".livelab"))
    out = root.parent / "all.json"
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "--all", "--json", str(out), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return root, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _private_history(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVELAB_HISTORY_DB", str(tmp_path / "history.sqlite3"))


def rubric_file(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def scored(scorecard: dict, rubric, judges: list[dict] | None = None) -> dict:
    """``scorecard`` (its JSON) re-scored with ``rubric``, as JSON again."""
    entries = None if judges is None else [JudgeEntry.from_dict(j) for j in judges]
    return apply_rubric(read_scorecard(scorecard), rubric, entries).to_dict()


def rescored(scorecard: dict, rubric_path: Path) -> dict:
    load_plugins(())
    return scored(scorecard, load_rubric(rubric_path, known_metrics=metric_specs()))


# --- packs --------------------------------------------------------------------------


def test_every_pack_validates_names_its_source_and_scores_the_cached_sample(analysed):
    root, full = analysed
    packs = builtin_rubrics()
    assert set(NEW_PACKS) | {"anchor-basics-en"} <= set(packs)
    result = CliRunner().invoke(cli, ["rubric", "validate", *map(str, packs.values())])
    assert result.exit_code == 0, result.output
    for name in packs:
        rubric = load_rubric(packs[name])
        assert rubric.source, f"{name} must say where its weights come from"
        assert rubric.max_total == 100
        started = time.perf_counter()
        # every pack on the English sample, whatever language it is written for
        sc = score_session(Job(root, name, any_language=True)).to_dict()
        assert time.perf_counter() - started < 3, f"{name} re-analysed instead of re-scoring"
        assert {a["status"] for a in sc["analyzers"].values()} == {"cached"}
        assert 0 < sc["total"] <= sc["max_total"] == 100
        for c in sc["criteria"]:
            assert c["role"] in ROLES, c["id"]
            if c["status"] == "unscored":  # only judges' criteria may wait
                assert c["judged"] and c["metric"].startswith("judge."), c["id"]
    # The English default is untouched by the new sections.
    en = score_session(Job(root, "anchor-basics-en")).to_dict()
    assert en["total"] == full["total"] and en["round"] is None and en["judges"] == []


def test_contest_pack_structure(analysed):
    _root, full = analysed
    sc = scored(full, load_rubric(find_rubric(CONTEST)))
    assert {k: v["max"] for k, v in sc["sections"].items()} == {
        "planning": 20,
        "live": 60,
        "review": 20,
    }
    # The 90 s sample is far under the 30 min round: the capped penalty is applied.
    assert sc["round"]["length_s"] == 1800 and sc["round"]["penalty"] == 10
    assert "under" in sc["round"]["reason"]
    points = sum(c["points"] or 0 for c in sc["criteria"])
    assert sc["total"] == pytest.approx(points - 10)


def test_rubric_checks_judged_metrics_round_and_tie_breaks(tmp_path):
    load_plugins(())
    known = metric_specs()
    head = "id: r\ntitle: R\ncriteria:\n"
    machine = (
        "  - {id: a, metric: pace.dead_air_count, weight: 5, rule: {type: pass_fail, max: 0}}\n"
    )
    cases = {
        "judge.* without judged": head + "  - {id: b, metric: judge.b, weight: 5}\n",
        "typo on a judged criterion": head
        + "  - {id: b, metric: pace.nope, judged: true, weight: 5,"
        " rule: {type: linear, zero: 0, full: 1}}\n",
        "unknown plugin metric": head + "  - {id: b, metric: pace.nope, weight: 5,"
        " rule: {type: linear, zero: 0, full: 1}}\n",
        "round without length": head + machine + "round: {tolerance_s: 5}\n",
        "unknown tie-break": head + machine + "tie_breaks: [nothing-here]\n",
        "bad judge share": head + machine + "judging: {judge_share: 2}\n",
    }
    for label, text in cases.items():
        with pytest.raises(RubricError) as caught:
            load_rubric(rubric_file(tmp_path, text), known_metrics=known)
        assert "r.yaml" in str(caught.value), label
    ok = load_rubric(
        rubric_file(tmp_path, head + machine + "  - {id: look, judged: true, weight: 5}\n"),
        known_metrics=known,
    )
    assert ok.criteria[1].metric == "judge.look" and ok.metrics == {"pace.dead_air_count"}


# --- timed rounds -----------------------------------------------------------------------


def test_round_penalty_at_its_boundaries():
    r = Round(
        length_s=600,
        tolerance_s=30,
        over_penalty_per_min=2,
        under_penalty_per_min=1,
        max_penalty=10,
    )
    assert r.assess(630)["penalty"] == 0 and r.assess(570)["penalty"] == 0  # edges allowed
    assert r.assess(600)["reason"].startswith("within")
    assert r.assess(660)["penalty"] == pytest.approx(1.0)  # 30 s over the tolerance
    assert r.assess(690)["penalty"] == pytest.approx(2.0) and r.assess(690)["over_s"] == 60
    assert r.assess(510)["penalty"] == pytest.approx(1.0) and r.assess(510)["under_s"] == 60
    assert r.assess(10_000)["penalty"] == 10  # capped
    whole = Round(600, 30, 2, 2, whole_minutes=True)
    assert whole.assess(631)["penalty"] == 2 and whole.assess(690)["penalty"] == 2
    assert whole.assess(691)["penalty"] == 4


def test_round_penalty_comes_off_the_total_never_below_zero(analysed, tmp_path):
    _root, full = analysed
    base = (
        "id: timed\ntitle: Timed\ncriteria:\n"
        "  - {id: dead-air, metric: pace.dead_air_count, weight: 10, role: anchor,"
        " rule: {type: pass_fail, max: 1}}\n"
    )
    sc = rescored(
        full,
        rubric_file(
            tmp_path, base + "round: {length_s: 60, tolerance_s: 10, over_penalty_per_min: 3}\n"
        ),
    )
    over = full["session"]["duration_s"] - 70
    assert sc["round"]["actual_s"] == pytest.approx(full["session"]["duration_s"])
    assert sc["round"]["penalty"] == pytest.approx(3 * over / 60, abs=1e-3)
    assert sc["total"] == pytest.approx(10 - 3 * over / 60, abs=1e-3)
    assert sc["team"]["points"] == 10 and sc["team"]["penalty"] == sc["round"]["penalty"]
    harsh = rescored(
        full, rubric_file(tmp_path, base + "round: {length_s: 10, over_penalty_per_min: 100}\n")
    )
    assert harsh["total"] == 0 and harsh["round"]["penalty"] > 10


# --- per-product time allotments ----------------------------------------------------------


def test_product_time_scores_each_product_against_its_allotment(analysed, tmp_path):
    _root, full = analysed
    product = full["metrics"]["coverage.time_per_product_s"]["by_product"]["aquakeep-bottle"]
    actual, planned = product["value"], product["planned"]
    assert planned == 90  # planned_minutes: 1.5 on the product card

    def score(rule: str) -> dict:
        text = (
            "id: pt\ntitle: PT\ncriteria:\n"
            "  - {id: product-time, metric: coverage.time_per_product_s, weight: 10,"
            f" role: selection, rule: {rule}}}\n"
        )
        return rescored(full, rubric_file(tmp_path, text))["criteria"][0]

    on_plan = score("{type: product_time, tolerance_s: 10, falloff_s: 30}")
    assert abs(actual - planned) <= 10 and on_plan["fraction"] == 1
    assert on_plan["products"][0] == {
        "id": "aquakeep-bottle",
        "name": "AquaKeep insulated bottle",
        "planned_s": 90,
        "actual_s": actual,
        "fraction": 1.0,
        "points": 10.0,
    }
    # The rubric's allotment wins over the card; a product never presented scores 0.
    tight = score(
        "{type: product_time, tolerance_s: 10, falloff_s: 20,"
        " allot_s: {aquakeep-bottle: 60, gift-box: 30}}"
    )
    rows = {p["id"]: p for p in tight["products"]}
    expected = 1 - (actual - 60 - 10) / 20
    assert rows["aquakeep-bottle"]["fraction"] == pytest.approx(expected, abs=1e-3)
    assert rows["gift-box"]["actual_s"] == 0 and rows["gift-box"]["fraction"] == 0
    assert tight["fraction"] == pytest.approx(expected / 2, abs=1e-3)
    assert tight["points"] == pytest.approx(sum(p["points"] for p in tight["products"]), abs=1e-2)
    # Any metric with per-product values can be scored so; one without says why not.
    text = (
        "id: pt\ntitle: PT\ncriteria:\n"
        "  - {id: pt, metric: pace.dead_air_count, weight: 10, rule: {type: product_time,"
        " tolerance_s: 10, falloff_s: 30}}\n"
    )
    none = rescored(full, rubric_file(tmp_path, text))["criteria"][0]
    assert none["status"] == "unscored" and none["points"] is None
    assert none["reason"] == (
        "pace.dead_air_count has no per-product values to score each product's time"
    )


def test_a_version_1_scorecard_loads_and_scores_its_products_again(analysed, tmp_path):
    _root, full = analysed
    rubric = load_rubric(find_rubric(CONTEST))
    now = scored(full, rubric)
    old = copy.deepcopy(now)
    old["schema"] = "livelab.scorecard/1"
    old.pop("highlights")
    for m in old["metrics"].values():
        m.pop("title"), m.pop("by_product")
    for a in old["analyzers"].values():
        a.pop("title")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    again = apply_rubric(read_scorecard(path), rubric).to_dict()
    assert again["schema"] == "livelab.scorecard/2"
    assert again["criteria"] == now["criteria"] and again["total"] == now["total"]


# --- roles ------------------------------------------------------------------------------


def test_role_scores_sum_to_the_team_total(analysed):
    _root, full = analysed
    sc = copy.deepcopy(full)
    sc["session"]["roles"] = {"anchor": "李华", "assistant": "王芳", "selection": "张伟"}
    sc = scored(sc, load_rubric(find_rubric(CONTEST)))
    roles = sc["roles"]
    assert set(roles) == {"anchor", "assistant", "operations", "selection", "traffic"}
    assert roles["anchor"]["person"] == "李华" and roles["operations"]["person"] == ""
    listed = [cid for r in roles.values() for cid in r["criteria"]]
    assert sorted(listed) == sorted(c["id"] for c in sc["criteria"])  # a partition
    assert sum(r["points"] for r in roles.values()) == pytest.approx(sc["team"]["points"])
    assert sum(r["max"] for r in roles.values()) == sc["max_total"]
    assert (
        sc["team"]["total"]
        == sc["total"]
        == pytest.approx(sc["team"]["points"] - sc["team"]["penalty"])
    )
    text = CliRunner().invoke(cli, ["--help"]).output  # the CLI still loads
    assert "judge" in text and "leaderboard" in text
    from rich.console import Console

    from livelab.builtin.reporters import print_scorecard

    buffer = io.StringIO()
    print_scorecard(read_scorecard(sc), Console(file=buffer, width=100, color_system=None))
    shown = buffer.getvalue()
    assert "anchor (李华)" in shown and "team total" in shown and "Round:" in shown


# --- judges -----------------------------------------------------------------------------


@pytest.fixture
def contest_scorecard(analysed, tmp_path):
    _root, full = analysed
    sc = scored(full, load_rubric(find_rubric(CONTEST)))
    path = tmp_path / "run.json"
    write_scorecard(read_scorecard(sc), path)
    return path, sc


def fill(template: Path, scores: dict[str, dict[str, str]]) -> Path:
    with template.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    ids = [h.split(" ")[0] for h in header]
    for row in rows[1:]:
        judge = row[0].removeprefix("'")
        for cid, value in scores.get(judge, {}).items():
            row[ids.index(cid)] = value
    out = template.with_name("filled.csv")
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


def test_judges_template_fill_merge_with_trimmed_mean(contest_scorecard, tmp_path):
    path, before = contest_scorecard
    runner = CliRunner()
    sheet = tmp_path / "judges.csv"
    result = runner.invoke(
        cli,
        [
            "judge",
            "template",
            CONTEST,
            "-o",
            str(sheet),
            "--judges",
            "Li,=Wang,Chen",
            "--session",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    raw = sheet.read_text(encoding="utf-8")
    assert raw.startswith("\ufeff")
    lines = raw.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("judge,session,selection-plan (0-8),live-script (0-6)")
    assert lines[2].startswith("'=Wang,demo_en,")  # formula-looking name kept as text
    assert len(lines) == 4  # 3 judges × 1 session

    filled = fill(
        sheet,
        {
            "Li": {"selection-plan": "8", "product-intro": "8", "review-report": "2"},
            "=Wang": {"selection-plan": "2", "product-intro": "4"},
            "Chen": {"selection-plan": "6.5", "product-intro": "6", "review-report": "4"},
        },
    )
    out = tmp_path / "merged.json"
    result = runner.invoke(cli, ["judge", "merge", str(path), str(filled), "-o", str(out)])
    assert result.exit_code == 0, result.output
    merged = json.loads(out.read_text(encoding="utf-8"))
    rows = {c["id"]: c for c in merged["criteria"]}
    # 3 judges: highest and lowest dropped, the middle one counts.
    plan = rows["selection-plan"]
    assert plan["points"] == 6.5 and plan["judging"]["kept"] == ["Chen"]
    assert sorted(plan["judging"]["dropped"]) == ["=Wang", "Li"]
    # 2 judges: a plain mean; judges-only criteria nobody scored stay unscored.
    assert rows["review-report"]["points"] == pytest.approx(3.0)
    assert rows["live-script"]["status"] == "unscored"
    # Machine and judges blended half and half on product-intro.
    machine = before["metrics"]["coverage.selling_points_ratio"]["value"]
    machine_fraction = (machine - 0.25) / 0.75
    assert rows["product-intro"]["judging"]["machine_fraction"] == pytest.approx(
        machine_fraction, abs=1e-3
    )
    assert rows["product-intro"]["points"] == pytest.approx(
        8 * (0.5 * machine_fraction + 0.5 * 6 / 8), abs=1e-2
    )
    points = sum(c["points"] or 0 for c in merged["criteria"])
    assert merged["total"] == pytest.approx(points - merged["round"]["penalty"], abs=1e-2)
    assert merged["total"] > before["total"]
    who = {(j["judge"], j["criterion"]): j["score"] for j in merged["judges"]}
    assert who[("=Wang", "selection-plan")] == 2 and who[("Chen", "selection-plan")] == 6.5
    assert len(merged["judges"]) == 8

    # Re-merging a corrected sheet replaces that judge's score, keeps the others.
    fix = tmp_path / "fix.csv"
    fix.write_text(
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nChen,demo_en,,,,,,7\n",
        encoding="utf-8",
    )
    again = tmp_path / "again.json"
    result = runner.invoke(cli, ["judge", "merge", str(out), str(fix), "-o", str(again)])
    assert result.exit_code == 0, result.output
    redone = {c["id"]: c for c in json.loads(again.read_text(encoding="utf-8"))["criteria"]}
    assert redone["review-report"]["points"] == pytest.approx(4.5)  # (Li 2 + Chen 7) / 2
    assert redone["selection-plan"]["points"] == 6.5


def test_trim_and_judge_share_come_from_the_rubric(analysed, tmp_path):
    _root, full = analysed
    text = (
        "id: j\ntitle: J\njudging: {scale: fraction, trim: 0, judge_share: 0.25}\ncriteria:\n"
        "  - {id: look, judged: true, weight: 10, role: anchor}\n"
        "  - {id: points, metric: coverage.selling_points_ratio, judged: true, weight: 10,"
        " role: anchor, rule: {type: linear, zero: 0, full: 1}}\n"
    )
    load_plugins(())
    rubric = load_rubric(rubric_file(tmp_path, text))
    judges = [
        {"judge": j, "criterion": c, "score": f, "fraction": f}
        for j, f in (("a", 0.2), ("b", 0.5), ("c", 1.0))
        for c in ("look", "points")
    ]
    sc = scored(full, rubric, judges)
    rows = {c["id"]: c for c in sc["criteria"]}
    assert rows["look"]["points"] == pytest.approx(10 * (0.2 + 0.5 + 1.0) / 3, abs=1e-2)
    machine = full["metrics"]["coverage.selling_points_ratio"]["value"]
    assert rows["points"]["points"] == pytest.approx(
        10 * (0.75 * machine + 0.25 * 1.7 / 3), abs=1e-2
    )


BAD_SHEETS = {
    "missing column": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro\n"
        "A,demo_en,1,1,1,1,1\n",
        "row 1",
        "missing column for judged criterion 'review-report'",
    ),
    "not a number": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nA,demo_en,1,lots,1,1,1,1\n",
        "row 2, column 'live-script'",
        "'lots' is not a number",
    ),
    "formula": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nA,demo_en,=SUM(1;2),1,1,1,1,1\n",
        "row 2, column 'selection-plan'",
        "never as formulas",
    ),
    "out of range": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nA,demo_en,1,1,1,1,1,1\nB,demo_en,1,1,4,1,1,1\n",
        "row 3, column 'room-design'",
        "4 is out of range: scores run from 0 to 3",
    ),
    "unknown criterion": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report,charisma\nA,demo_en,1,1,1,1,1,1,1\n",
        "row 1, column 'charisma'",
        "unknown criterion 'charisma'",
    ),
    "machine criterion": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report,pace\nA,demo_en,1,1,1,1,1,1,1\n",
        "row 1, column 'pace'",
        "scored by the machine",
    ),
    "same judge twice": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nA,demo_en,1,1,1,1,1,1\nA,demo_en,2,2,2,2,2,2\n",
        "row 3, column 'judge'",
        "already scored this session on row 2",
    ),
    "another session": (
        "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
        "review-report\nA,other-team,1,1,1,1,1,1\n",
        "",
        "no row is for session 'demo_en'",
    ),
}


@pytest.mark.parametrize("case", BAD_SHEETS)
def test_bad_judge_sheets_name_file_row_and_column(contest_scorecard, tmp_path, case):
    path, _sc = contest_scorecard
    text, where, message = BAD_SHEETS[case]
    sheet = tmp_path / "bad judges.csv"
    sheet.write_text(text, encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["judge", "merge", str(path), str(sheet), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{sheet}: {where}" in result.output and message in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_judges_sheet_saved_by_chinese_excel_is_read(contest_scorecard, tmp_path):
    path, _sc = contest_scorecard
    sheet = tmp_path / "gbk.csv"
    sheet.write_bytes(
        (
            "judge,session,selection-plan,live-script,room-design,anchor-image,product-intro,"
            "review-report\n评委甲,demo_en,8,,,,,\n"
        ).encode("gb18030")
    )
    out = tmp_path / "gbk.json"
    result = CliRunner().invoke(cli, ["judge", "merge", str(path), str(sheet), "-o", str(out)])
    assert result.exit_code == 0, result.output
    merged = json.loads(out.read_text(encoding="utf-8"))
    assert merged["judges"][0]["judge"] == "评委甲"


# --- leaderboard ------------------------------------------------------------------------


def test_leaderboard_ranks_runs_and_teams_with_the_rubrics_tie_break(contest_scorecard, tmp_path):
    _path, sc = contest_scorecard

    def run(team: str, when: str, total: float, live: float) -> dict:
        d = copy.deepcopy(sc)
        d["session"].update(team=team, recorded_at=when,  # each its own recording
                            recording_sha256=f"{team}{when}".encode().hex())
        d["total"] = total
        d["sections"]["live"]["points"] = live
        return d

    # Team Tie and =Evil tie on total; the contest pack breaks ties on the live section.
    for name, when, total in (("a", "2026-11-01T10:00:00", 60), ("b", "2026-11-08T10:00:00", 70)):
        run_sc = read_scorecard(run("Team Tie", when, total, 40))
        write_scorecard(run_sc, tmp_path / f"{name}.json")
    graded = tmp_path / "class"
    graded.mkdir()
    error = {
        "schema": "livelab.grade-error/1",
        "session": {"path": "x"},
        "status": "error",
        "error": "broken video",
    }
    lines = [run("=Evil", "2026-11-02T10:00:00", 70, 45), error, run("Slow", "2026-11-03", 50, 30)]
    (graded / "results.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8"
    )
    board = tmp_path / "board.csv"
    page = tmp_path / "board.html"
    result = CliRunner().invoke(
        cli,
        [
            "leaderboard",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.json"),
            str(graded),
            "-o",
            str(board),
            "--html",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "x was not graded" in result.output
    raw = board.read_bytes().decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"))))
    teams = [(r["rank"], r["team"], r["trend"]) for r in rows if r["kind"] == "team"]
    assert teams == [
        ("1", "'=Evil", "70"),  # formula-looking team name neutralised
        ("2", "Team Tie", "60 → 70"),  # trend oldest to newest
        ("3", "Slow", "50"),
    ]
    runs = [(r["rank"], r["team"], r["total"], r["note"]) for r in rows if r["kind"] == "run"]
    assert runs[0] == ("1", "'=Evil", "70", "tie on total broken by live")
    assert runs[1][:3] == ("2", "Team Tie", "70") and runs[-1][:3] == ("4", "Slow", "50")
    assert rows[0]["tb:live"] == "45"
    assert "=Evil" in page.read_text(encoding="utf-8")


def test_leaderboard_full_tie_shares_a_rank_and_latest_team_score(contest_scorecard, tmp_path):
    from livelab.reports.leaderboard import build_boards

    _path, sc = contest_scorecard
    rubric = load_rubric(find_rubric(CONTEST))
    items = []
    for i, (team, total) in enumerate((("<b>A</b>", 80), ("B", 80), ("B", 50))):
        d = copy.deepcopy(sc)
        d["session"].update(team=team, recorded_at=f"2026-11-0{i + 1}", recording_sha256=str(i))
        d["total"] = total
        items.append((f"s{i}", read_scorecard(d)))
    board = build_boards(items, {rubric.id: rubric}, team_score="latest")[0]
    assert [(rank, r.total) for rank, r, _ in board.runs] == [(1, 80), (1, 80), (3, 50)]
    assert board.runs[0][2] == "tied on every tie-break"
    assert [(rank, t.team, t.score) for rank, t in board.teams] == [
        (1, "<b>A</b>", 80),
        (2, "B", 50),
    ]
    from livelab.reports.html import render_leaderboard

    assert "&lt;b&gt;A&lt;/b&gt;" in render_leaderboard([board])


def test_leaderboard_counts_a_judged_run_once_flags_unjudged_runs_and_links_reports(
    contest_scorecard, tmp_path
):
    path, sc = contest_scorecard  # run.json: scored by the machine, no judge yet
    runner = CliRunner()
    sheet = tmp_path / "judges.csv"
    assert runner.invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet), "--judges", "Li",
                               "--session", str(path)]).exit_code == 0
    filled = fill(sheet, {"Li": {"selection-plan": "8", "product-intro": "6"}})
    done = runner.invoke(cli, ["judge", "merge", str(path), str(filled)])
    assert done.exit_code == 0, done.output
    judged = tmp_path / "run.judged.json"
    other = copy.deepcopy(sc)
    other["session"].update(team="Other team", recording_sha256="ab" * 32)
    write_scorecard(read_scorecard(other), tmp_path / "other.json")
    (tmp_path / "other.html").write_text("<p>report</p>", encoding="utf-8")
    board, page = tmp_path / "board.csv", tmp_path / "out" / "board.html"
    done = runner.invoke(cli, ["leaderboard", str(path), str(judged), str(tmp_path / "other.json"),
                               "-o", str(board), "--html", str(page)])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert f"{judged} and {path} are one run: counted once, as {judged}" in said
    rows = list(csv.DictReader(io.StringIO(board.read_text("utf-8-sig"))))
    runs = {r["source"]: r for r in rows if r["kind"] == "run"}
    assert sorted(runs) == sorted([str(judged), str(tmp_path / "other.json")])
    assert runs[str(judged)]["judging"] == "judged"
    assert runs[str(tmp_path / "other.json")]["judging"] == "unjudged"
    sections = {k.removeprefix("section:"): v for k, v in runs[str(judged)].items()
                if k.startswith("section:")}
    merged = read_scorecard(judged)
    assert sections and {k: float(v) for k, v in sections.items()} == {
        name: share.points for name, share in merged.sections.items()}
    html = page.read_text(encoding="utf-8")
    assert '<a href="../other.html">' in html and "class=unjudged" in html
    assert "no judge has scored it yet; round penalty −10" in html
    assert all(f"<th class=n>{name}</th>" in html for name in merged.sections)


def test_judge_merge_takes_a_whole_class(contest_scorecard, tmp_path):
    _path, sc = contest_scorecard
    lines = []
    for team in ("team-a", "team-b", "team-c"):
        d = copy.deepcopy(sc)
        d["session"].update(team=team, path=f"/class/{team}/session.toml",
                            recording_sha256=team.encode().hex())
        lines.append(d)
    lines.append({"schema": "livelab.grade-error/1", "session": {"path": "/class/x"},
                  "status": "error", "error": "broken video"})
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    sheet = tmp_path / "judges.csv"
    runner = CliRunner()
    done = runner.invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet), "--judges", "Li",
                               "--session", "/class/team-a", "--session", "/class/team-b"])
    assert done.exit_code == 0, done.output
    text = sheet.read_text(encoding="utf-8-sig").splitlines()
    assert [r.split(",")[1] for r in text[1:]] == ["team-a", "team-b"]
    rows = [text[0], text[1].replace("team-a,", "team-a,8,", 1), text[2]]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = runner.invoke(cli, ["judge", "merge", str(results), str(sheet)])
    assert done.exit_code == 0, done.output
    out = [json.loads(x) for x in
           (tmp_path / "results.judged.jsonl").read_text("utf-8").splitlines()]
    assert len(out) == 4 and out[3]["status"] == "error"  # the failed grade kept as it was
    plan = [next(c for c in d["criteria"] if c["id"] == "selection-plan") for d in out[:3]]
    assert plan[0]["points"] == 8 and plan[0]["judging"]["judges"] == 1
    assert plan[1].get("judging") is None and plan[2].get("judging") is None
    said = " ".join(done.output.split())
    assert "line 2 (team-b): no judge's row names it; left as it was" in said  # a blank row
    assert "line 3 (team-c): no judge's row names it; left as it was" in said
    assert "1 of 3 sessions took judges' scores" in said
    sheet.write_text(text[0] + "\nLi,,8\n", encoding="utf-8")  # a row with no session
    done = runner.invoke(cli, ["judge", "merge", str(results), str(sheet)])
    assert done.exit_code == 2 and "row 2: the session column is empty" in done.output


def test_contest_views_explain_the_total_with_penalty_sections_and_judges_notes(
    contest_scorecard, tmp_path
):
    import re

    from livelab.reports.gradebook import Graded, gradebook_csv, read_gradebook
    from livelab.reports.html import render_report

    path, _sc = contest_scorecard
    runner = CliRunner()
    sheet = tmp_path / "judges.csv"
    assert runner.invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet), "--judges",
                               "Li,Wang", "--session", str(path)]).exit_code == 0
    rows = sheet.read_text(encoding="utf-8-sig").splitlines()
    rows[1] = rows[1].replace(",,,,,,,", ",7,5,2,5,6,6,开场很好，但价格讲得太快")
    rows[2] = rows[2].replace(",,,,,,,", ",6,4,3,5,7,5,注意站位")
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert runner.invoke(cli, ["judge", "merge", str(path), str(sheet)]).exit_code == 0
    merged = read_scorecard(tmp_path / "run.judged.json")
    assert {j.judge: j.note for j in merged.judges} == {"Li": "开场很好，但价格讲得太快",
                                                        "Wang": "注意站位"}
    assert merged.round is not None and merged.round.penalty > 0
    page = render_report(merged)
    said = re.search(r"Criteria ([\d.]+) − round penalty ([\d.]+) = total ([\d.]+)", page)
    assert said, "the report explains the total"
    points, penalty, total = map(float, said.groups())
    assert points - penalty == pytest.approx(total, abs=0.11)
    assert total == pytest.approx(merged.total, abs=0.05)
    assert "开场很好，但价格讲得太快" in page and "注意站位" in page
    assert all(f"<td>{name}</td>" in page for name in merged.sections)
    out = tmp_path / "gradebook.csv"
    out.write_text(gradebook_csv([Graded(1, str(path), merged)]), encoding="utf-8")
    [row] = read_gradebook(out)
    sections = sum(float(v) for k, v in row.items() if k.startswith("section:"))
    assert sections == pytest.approx(float(row["total"]) + float(row["penalty"]), abs=0.01)
    assert row["judges"] == "Li Wang"


def test_judges_sheet_in_excel_checks_the_scores_and_merges(contest_scorecard, tmp_path):
    import openpyxl

    path, _sc = contest_scorecard
    runner = CliRunner()
    sheet = tmp_path / "judges.xlsx"
    done = runner.invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet), "--judges",
                               "Li,=Wang", "--session", str(path)])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(sheet)
    ws = book.active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["judge", "session", "selection-plan (0-8)"]
    assert ws["A3"].value == "=Wang" and ws["A3"].data_type == "s"
    assert ws.freeze_panes == "C2"
    rules = {str(dv.sqref).split(":")[0]: (dv.type, dv.formula1, dv.formula2)
             for dv in ws.data_validations.dataValidation}
    assert rules["C2"] == ("decimal", "0", "8")  # selection-plan: 0 to 8 points
    assert len(rules) == len([h for h in header if "(0-" in h])
    ws["C2"], ws["C3"] = 7, 5
    ws[f"{chr(ord('A') + len(header) - 1)}2"] = "开场很好"
    book.save(sheet)
    done = runner.invoke(cli, ["judge", "merge", str(path), str(sheet)])
    assert done.exit_code == 0, done.output
    merged = read_scorecard(tmp_path / "run.judged.json")
    plan = merged.criterion("selection-plan")
    assert plan is not None and plan.judging is not None and plan.points == 6.0
    assert {j.judge: j.note for j in merged.judges} == {"Li": "开场很好", "=Wang": ""}
    ws["C2"] = 9  # Excel would refuse it; a sheet edited elsewhere is still checked
    book.save(sheet)
    done = runner.invoke(cli, ["judge", "merge", str(path), str(sheet)])
    assert done.exit_code == 2 and "9 is out of range: scores run from 0 to 8" in done.output


def test_two_teams_handing_in_one_file_are_two_runs_and_a_class_sheet_lists_the_class(
    contest_scorecard, tmp_path
):
    from livelab.reports.leaderboard import build_boards

    _path, sc = contest_scorecard
    items = []
    for team in ("A", "B"):
        d = copy.deepcopy(sc)  # the same recording (same SHA-256) in two teams' folders
        d["session"].update(team=team, path=f"/class/{team}/session.toml")
        items.append((team, read_scorecard(d)))
    rubric = load_rubric(find_rubric(CONTEST))
    board = build_boards(items, {rubric.id: rubric})[0]
    assert sorted(r.team for _rank, r, _why in board.runs) == ["A", "B"]
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n"
                               for _t, s in items), encoding="utf-8")
    sheet = tmp_path / "judges.csv"
    done = CliRunner().invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet),
                                    "--judges", "Li", "--session", str(results)])
    assert done.exit_code == 0, done.output
    rows = sheet.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [r.split(",")[1] for r in rows] == ["A", "B"]
    # a judges' workbook saved under a .csv name is read as a workbook, not a traceback
    xlsx = tmp_path / "judges.xlsx"
    assert CliRunner().invoke(cli, ["judge", "template", CONTEST, "-o", str(xlsx),
                                    "--judges", "Li", "--session", str(results)]).exit_code == 0
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(xlsx.read_bytes())
    done = CliRunner().invoke(cli, ["judge", "merge", str(results), str(renamed)])
    assert done.exit_code == 0, done.output


def test_the_round_reads_in_the_readers_language():
    from livelab import i18n
    from livelab.scoring.rubric import round_text

    result = {"length_s": 1800, "tolerance_s": 60, "over_s": 0, "under_s": 1650.3,
              "penalty": 10}
    assert round_text(result) == "27:30 under the 30:00 round (± 60 s allowed): −10 points"
    i18n.activate("zh", "--lang")
    said = round_text(result)
    assert "27:30" in said and "30:00" in said and "−10" in said and "under" not in said


def test_a_grade_folder_with_judged_results_ranks_and_exports_the_judged_scores(
    contest_scorecard, tmp_path
):
    _path, sc = contest_scorecard
    out = tmp_path / "grades"
    out.mkdir()
    d = copy.deepcopy(sc)
    d["session"].update(path=f"{out}/t1/session.toml", student_id="2024001")
    (out / "results.jsonl").write_text(json.dumps(d, ensure_ascii=False) + "\n", "utf-8")
    runner = CliRunner()
    sheet = tmp_path / "judges.csv"
    runner.invoke(cli, ["judge", "template", CONTEST, "-o", str(sheet), "--judges", "Li",
                        "--session", str(out / "results.jsonl")])
    rows = sheet.read_text(encoding="utf-8-sig").splitlines()
    sheet.write_text(rows[0] + "\n" + rows[1].replace(",,,,,,,", ",8,6,3,6,8,7,") + "\n",
                     encoding="utf-8")
    assert runner.invoke(cli, ["judge", "merge", str(out / "results.jsonl"),
                               str(sheet)]).exit_code == 0
    judged = read_results(out / "results.judged.jsonl")[0][1]
    board = tmp_path / "board.csv"
    done = runner.invoke(cli, ["leaderboard", str(out), "-o", str(board)])
    assert done.exit_code == 0, done.output
    [run] = [r for r in csv.DictReader(io.StringIO(board.read_text("utf-8-sig")))
             if r["kind"] == "run"]
    assert float(run["total"]) == pytest.approx(judged.total) and run["judging"] == "judged"
    done = runner.invoke(cli, ["export", str(out), "--lms", "moodle"])
    assert done.exit_code == 0 and "results.judged.jsonl" in done.output
    moodle = list(csv.reader(io.StringIO((out / "moodle.csv").read_text("utf-8"))))
    assert float(moodle[1][2]) == pytest.approx(round(judged.total, 2))
