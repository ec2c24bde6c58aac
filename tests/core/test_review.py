"""The instructor's review: livelab review writes the template, a filled-in review changes
the scores from the cache, and a bad review file is named with its key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from livelab.cli import cli
from livelab.reports.html import render_report
from livelab.scoring.review import at_text, read_review
from tests.core.test_batch import analysed_sample  # noqa: F401  (the pre-analysed sample fixture)


def _analyze(session: Path, out: Path, *extra: str) -> dict:
    done = CliRunner().invoke(cli, ["analyze", str(session), "-q", "--json", str(out), *extra])
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text(encoding="utf-8"))


def _reviewed(tmp_path: Path, sample: Path) -> Path:
    """A copy of the analysed sample whose session.toml names review.yaml."""
    session = tmp_path / "s"
    shutil.copytree(sample, session)
    toml = session / "session.toml"
    toml.write_text('review = "review.yaml"\n' + toml.read_text(encoding="utf-8"), "utf-8")
    return session


def test_a_review_adjusts_scores_from_the_cache_and_every_view_shows_it(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    before = _analyze(session, tmp_path / "before.json")
    machine = {c["id"]: c for c in before["criteria"]}

    done = CliRunner().invoke(cli, ["review", str(session), "-q"])
    assert done.exit_code == 0, done.output
    template = (session / "review.yaml").read_text(encoding="utf-8")
    assert (session / "session.toml").read_text(encoding="utf-8").startswith(
        'review = "review.yaml"\n')
    listed = yaml.safe_load(template)
    assert list(listed["criteria"]) == list(machine)  # every criterion, empty: nothing changes
    assert read_review(session / "review.yaml").criteria == {}
    dead_air = next(e for e in before["evidence"] if e["metric"] == "pace.dead_air_count")
    line = f'{{metric: pace.dead_air_count, at: "{at_text(dead_air["start_s"])}", comment: ""}}'
    assert f"#  - {line}" in template
    unchanged = _analyze(session, tmp_path / "unchanged.json")
    assert unchanged["total"] == before["total"]

    target = "selling-points"
    filled = template.replace(f"  {target}:",
                              f"  {target}: {{fraction: 1.0, comment: 说了，识别漏了}}")
    filled = filled.replace('comment: ""\ncriteria:', 'comment: "Good price reveal."\ncriteria:')
    kept = line.replace('comment: ""', "comment: demo")
    filled = filled.replace(f"#  - {line}", f"  - {kept}")
    (session / "review.yaml").write_text(filled, encoding="utf-8")
    after = _analyze(session, tmp_path / "after.json")
    adjusted = next(c for c in after["criteria"] if c["id"] == target)
    was = machine[target]
    assert adjusted["review"]["adjusted"] is True
    assert adjusted["review"]["machine"]["points"] == was["points"] < was["weight"]
    assert adjusted["points"] == was["weight"] and adjusted["outcome"] == "pass"
    assert adjusted["value"] == was["value"]  # the measurement stays the machine's
    assert after["total"] == round(before["total"] - was["points"] + was["weight"], 3)
    assert after["review"]["comment"] == "Good price reveal."
    # scored from the cache: no analyzer ran again, nothing was decoded or transcribed
    assert {a["status"] for a in after["analyzers"].values()} == {"cached"}
    assert "transcribe" not in after["timings"] and "video_pass" not in after["timings"]
    page = render_report(after)
    assert "Good price reveal." in page and "说了，识别漏了" in page
    assert "adjusted by the instructor" in page
    assert page.count('<tr class="dismissed">') == 1 and "<s>dead air" in page
    # the gradebook: the adjusted cell is marked with the machine's points; the feedback
    # column starts with the instructor's words; the CSV lists the adjusted criteria
    import io

    import openpyxl

    from livelab.reports.gradebook import Graded, gradebook_csv, gradebook_xlsx
    from livelab.reports.html import render_class_summary
    from livelab.scoring.scorecard import read_scorecard

    graded = [Graded(1, str(session), read_scorecard(after))]
    sheet = openpyxl.load_workbook(io.BytesIO(gradebook_xlsx(graded))).worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Selling points covered (10)") + 1)
    assert cell.value == was["weight"] and cell.comment is not None
    assert f"machine: {was['points']:g}/10" in cell.comment.text
    feedback = sheet.cell(row=2, column=header.index("Feedback") + 1).value
    assert feedback.startswith("Good price reveal.\nSelling points covered: 说了，识别漏了")
    assert gradebook_csv(graded).splitlines()[1].endswith(",selling-points,,")  # no round
    from livelab.tui.data import points_text

    typed = read_scorecard(after)
    assert points_text(typed.criterion(target)) == "10.0/10✎"  # type: ignore[arg-type]
    assert not points_text(typed.criterion("speaking-rate")).endswith("✎")  # type: ignore[arg-type]
    summary = render_class_summary([after])
    assert "10✎" in summary and "adjusted by the instructor; machine: " in summary
    shown = " ".join(CliRunner().invoke(cli, ["analyze", str(session)]).output.split())
    assert "Reviewed by the instructor; adjusted: Selling points covered" in shown
    assert f"adjusted by the instructor (machine: {was['points']:.1f}/10)" in shown
    assert "Instructor: 说了，识别漏了" in shown
    assert "dismissed by the instructor: demo" in shown


def test_a_bad_review_names_the_file_the_key_and_the_valid_choices(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = _reviewed(tmp_path, analysed_sample)
    review = session / "review.yaml"
    review.write_text("criteria:\n  speaking-rate: {fraction: 1.5}\n  pace: {fraction: 0.5}\n"
                      "  fillers: {score: 1}\ndismiss:\n  - {metric: x, at: soon}\nnotes: hi\n",
                      encoding="utf-8")
    done = CliRunner().invoke(cli, ["analyze", str(session), "-q"])
    assert done.exit_code == 2
    said = done.output
    assert (f"{review}: notes: unknown key (known keys: rubric, reviewer, comment, criteria, "
            "dismiss, facts, transcript)" in said)
    assert (f"{review}: criteria.speaking-rate.fraction: must be a number from 0 to 1 (the "
            "share of the criterion's points), not 1.5") in said
    assert f"{review}: criteria.fillers.score: unknown key (known keys: fraction, comment)" in said
    assert f"{review}: dismiss[0].at: must be a time in the recording" in said
    review.write_text("criteria:\n  pace: {fraction: 0.5}\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["analyze", str(session), "-q"])
    assert done.exit_code == 2
    assert ("review.yaml: criteria.pace: unknown criterion of rubric anchor-basics-en (its "
            "criteria: speaking-rate, dead-air,") in done.output


def test_corrected_facts_change_the_metric_its_criterion_and_keep_the_machines_value(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    before = _analyze(session, tmp_path / "before.json")
    ratio = before["metrics"]["coverage.selling_points_ratio"]
    cta = before["metrics"]["coverage.cta_per_10min"]
    assert ratio["missed"] == ["Dishwasher safe"] and ratio["value"] == 0.8
    detected = before["details"]["coverage"]["calls_to_action"]
    duration = before["details"]["coverage"]["duration_s"]
    toml = session / "session.toml"
    toml.write_text('review = "review.yaml"\n' + toml.read_text(encoding="utf-8"), "utf-8")
    first = at_text(detected[0]["start_s"])
    (session / "review.yaml").write_text(
        "facts:\n"
        "  selling_points: {said: [aquakeep-bottle/dishwasher-safe]}\n"
        f'  calls_to_action: {{not_said: ["{first}"], said: ["00:20", "00:30"]}}\n',
        encoding="utf-8")
    after = _analyze(session, tmp_path / "after.json")
    fixed = after["metrics"]["coverage.selling_points_ratio"]
    assert fixed["value"] == 1.0 and fixed["machine"] == 0.8 and "missed" not in fixed
    points = next(c for c in after["criteria"] if c["id"] == "selling-points")
    was = next(c for c in before["criteria"] if c["id"] == "selling-points")
    assert points["review"]["adjusted"] and points["review"]["machine"]["points"] == was["points"]
    assert points["points"] == points["weight"] and "Missed" not in points["feedback"]
    n = len(detected) - 1 + 2
    assert after["metrics"]["coverage.cta_per_10min"]["value"] == pytest.approx(
        n / duration * 600, abs=1e-4)
    assert after["metrics"]["coverage.cta_per_10min"]["machine"] == cta["value"]
    said = [e["message"] for e in after["evidence"] if "instructor's review" in e["message"]]
    assert "AquaKeep insulated bottle — said (the instructor's review): Dishwasher safe" in said
    assert said.count("call to action (the instructor's review)") == 2
    assert "not a call to action (the instructor's review)" in said
    # the cache keeps the machine's findings: without the review, the machine's values
    toml.write_text(toml.read_text(encoding="utf-8").replace('review = "review.yaml"\n', ""),
                    "utf-8")
    again = _analyze(session, tmp_path / "again.json")
    assert again["metrics"]["coverage.selling_points_ratio"]["value"] == 0.8
    assert {a["status"] for a in again["analyzers"].values()} == {"cached"}


def test_a_wrong_fact_names_the_key_and_what_the_session_has(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = _reviewed(tmp_path, analysed_sample)
    review = session / "review.yaml"
    review.write_text("facts:\n  selling_points: {said: [dishwasher]}\n"
                      '  calls_to_action: {not_said: ["00:03"]}\n  prices: {said: [1]}\n',
                      encoding="utf-8")
    said = " ".join(CliRunner().invoke(cli, ["analyze", str(session), "-q"]).output.split())
    assert (f"{review}: facts.prices: unknown fact (facts this session's analyzers correct: "
            "calls_to_action, selling_points)") in said
    review.write_text("facts:\n  selling_points: {said: [dishwasher]}\n", encoding="utf-8")
    said = " ".join(CliRunner().invoke(cli, ["analyze", str(session), "-q"]).output.split())
    assert (f"{review}: facts.selling_points.said[0]: 'dishwasher' is not a selling point of "
            "this session's products (selling points: aquakeep-bottle/capacity,") in said
    review.write_text('facts:\n  calls_to_action: {not_said: ["00:03"]}\n', encoding="utf-8")
    done = CliRunner().invoke(cli, ["analyze", str(session), "-q"])
    said = " ".join(done.output.split())
    assert done.exit_code == 2
    assert (f"{review}: facts.calls_to_action.not_said[0]: no call to action was detected at "
            "00:03 (detected: ") in said


def test_the_template_mends_a_missing_or_broken_review_and_never_loses_one(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    runner = CliRunner()
    assert runner.invoke(cli, ["review", str(session), "-q"]).exit_code == 0
    review = session / "review.yaml"
    review.write_text("comment: the teacher's first words\n", encoding="utf-8")
    assert runner.invoke(cli, ["review", str(session), "-q", "--force"]).exit_code == 0
    review.write_text("criteria: {nope: 2}\n", encoding="utf-8")  # broken: --force mends it
    assert runner.invoke(cli, ["review", str(session), "-q", "--force"]).exit_code == 0
    kept = sorted(p.name for p in session.glob("review.yaml*"))
    assert kept == ["review.yaml", "review.yaml.bak", "review.yaml.bak2"]
    assert "the teacher's first words" in (session / "review.yaml.bak").read_text("utf-8")
    assert "nope" in (session / "review.yaml.bak2").read_text("utf-8")
    review.unlink()  # named in session.toml and gone: analyze says so, review writes it again
    done = runner.invoke(cli, ["analyze", str(session), "-q"])
    assert done.exit_code == 2 and "review: file 'review.yaml' does not exist" in done.output
    assert runner.invoke(cli, ["review", str(session), "-q"]).exit_code == 0
    assert review.is_file()
    review.unlink()
    review.symlink_to(tmp_path / "elsewhere.yaml")  # never written through a link
    done = runner.invoke(cli, ["review", str(session), "-q", "--force"])
    assert done.exit_code == 2 and not (tmp_path / "elsewhere.yaml").exists()
    review.unlink()
    manifest = session / "session.toml"  # a session.toml that links elsewhere is not rewritten
    outside = tmp_path / "outside.toml"
    outside.write_text(manifest.read_text(encoding="utf-8").replace('review = "review.yaml"\n',
                                                                   ""), encoding="utf-8")
    manifest.unlink()
    manifest.symlink_to(outside)
    before = outside.read_text(encoding="utf-8")
    done = runner.invoke(cli, ["review", str(session), "-q"])
    assert done.exit_code == 2 and "is a link" in done.output
    assert outside.read_text(encoding="utf-8") == before


def test_a_review_for_one_rubric_scores_under_another_with_a_note(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    runner = CliRunner()
    assert runner.invoke(cli, ["review", str(session), "-q"]).exit_code == 0
    review = session / "review.yaml"
    text = review.read_text(encoding="utf-8")
    assert "rubric: anchor-basics-en\n" in text
    review.write_text(text.replace("  compliance:", "  compliance: {fraction: 0.0}")
                      .replace('comment: ""', "comment: 注意停顿", 1)
                      .replace("dismiss:\n", "dismiss:\n  - {metric: no.such.metric, at: 3}\n"),
                      encoding="utf-8")
    own = _analyze(session, tmp_path / "own.json")
    assert next(c for c in own["criteria"] if c["id"] == "compliance")["points"] == 0
    assert any("the dismissal of no.such.metric at 00:03.0 matches no finding" in n
               for n in own["notes"])
    other = _analyze(session, tmp_path / "other.json", "-r", "standard-internet-marketer-live")
    compliance = next(c for c in other["criteria"] if c["id"] == "compliance")
    assert "review" not in compliance and compliance["points"] > 0  # not carried over
    assert other["review"]["comment"] == "注意停顿"
    assert any("was written for rubric anchor-basics-en: its criteria are not applied under "
               "standard-internet-marketer-live" in n for n in other["notes"])


def test_a_transcript_correction_reruns_the_text_analyzers_from_the_cached_recognition(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    before = _analyze(session, tmp_path / "before.json")
    assert before["metrics"]["coverage.selling_points_ratio"]["value"] == 0.8
    segment = before["transcript"]["segments"][-3]  # whatever the model wrote there
    heard = " ".join(w[2] for w in segment["words"][:2])
    at = at_text((segment["start"] + segment["end"]) / 2)
    toml = session / "session.toml"
    toml.write_text('review = "review.yaml"\n' + toml.read_text(encoding="utf-8"), "utf-8")
    review = session / "review.yaml"
    review.write_text(f'transcript:\n  - {{at: "{at}", heard: "{heard}", said: "{heard} and '
                      'it is dishwasher safe"}\n', encoding="utf-8")
    after = _analyze(session, tmp_path / "after.json")
    assert after["metrics"]["coverage.selling_points_ratio"]["value"] == 1.0
    status = {k: a["status"] for k, a in after["analyzers"].items()}
    assert status["coverage"] == "ran" and status["presence"] == "cached"  # text only
    assert "transcribe" not in after["timings"]  # the recognition came from the cache
    fixed = next(s for s in after["transcript"]["segments"] if s["start"] == segment["start"])
    assert "dishwasher safe" in fixed["text"]
    assert len(fixed["words"]) == len(segment["words"]) - 1  # two words became one
    assert fixed["words"][0][0] == segment["words"][0][0]  # at the first word's time
    review.write_text('transcript:\n  - {at: "00:01", heard: "zebra", said: "x"}\n', "utf-8")
    done = CliRunner().invoke(cli, ["analyze", str(session), "-q"])
    assert done.exit_code == 2
    assert f"{review}: transcript[0].heard: the transcript at 00:01.0 does not say 'zebra'" in (
        " ".join(done.output.split()))
