"""The interface language: the catalogs are complete and compiled, the rule that picks the
language, messages as data, and the Chinese terminal scorecard."""

from __future__ import annotations

import gettext
import json
import logging
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

from livelab import Evidence, Message, Messages, i18n
from livelab.cli import cli

ROOT = Path(__file__).resolve().parents[2]
#: Each gettext domain and the package folder whose strings it holds.
DOMAINS = {
    "livelab": ROOT / "src" / "livelab",
    **{f"livelab_{p}": ROOT / "plugins" / f"livelab_{p}"
       for p in ("pace", "coverage", "presence", "ops")},
}  # fmt: skip
KEYWORDS = {"_": None, "N_": None, "M": (2,)}


def _extracted(folder: Path) -> set[str]:
    """The strings `make catalogs` extracts: Python and the HTML templates (babel.cfg)."""
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = extract_from_dir(str(folder), method_map, options_map, keywords=KEYWORDS,
                             comment_tags=())  # fmt: skip
    return {msg if isinstance(msg, str) else msg[0] for _, _, msg, _, _ in found}


def _po(domain: str):
    path = DOMAINS[domain] / "locale" / "zh_CN" / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as f:
        return path, read_po(f)


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.activate("en", "default")


def test_the_html_templates_words_are_extracted():
    strings = _extracted(DOMAINS["livelab"])
    assert {"Fix these first", "Class summary", "livelab leaderboard"} <= strings


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_every_string_has_a_chinese_translation(domain):
    """A string added to the code without a zh_CN translation fails here (`make catalogs`
    merges it into the .po; then translate it)."""
    path, catalog = _po(domain)
    strings = _extracted(DOMAINS[domain])
    assert strings, f"no translatable strings found in {DOMAINS[domain]}"
    missing = sorted(s for s in strings if not (catalog.get(s) and catalog.get(s).string))
    assert not missing, f"{path}: no Chinese for {missing}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{path}: fuzzy (unchecked) entries {fuzzy}"


def test_no_translatable_literal_hides_inside_an_f_string():
    """Babel's extractor does not look inside f-strings: f"{_('Evidence')} · …" would never
    reach the catalog and stay English. A marked literal must stand outside the f-string."""
    import tokenize

    marked = re.compile(r"(?<![\w.])(?:N_|_|M)\(\s*(?:[\w\"']+\s*,\s*)?[\"']")
    found = []
    for folder in DOMAINS.values():
        for path in folder.rglob("*.py"):
            with path.open("rb") as f:
                for tok in tokenize.tokenize(f.readline):
                    if (tok.type == tokenize.STRING and re.match(r"[rRbB]*[fF]", tok.string)
                            and marked.search(tok.string)):
                        found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}")
    assert not found, f"a translatable literal inside an f-string: {found}"


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_translations_keep_their_fields(domain):
    """A translation that drops or renames a {field} would show a raw brace or lose a number."""
    path, catalog = _po(domain)
    for m in catalog:
        if m.id and m.string:
            fields = set(re.findall(r"\{[^}]*\}", m.id))
            assert set(re.findall(r"\{[^}]*\}", m.string)) == fields, f"{path}: {m.id!r}"


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_compiled_catalog_matches_the_po(domain):
    """The .mo the build compiled says what the .po in git says (`make messages`)."""
    path, catalog = _po(domain)
    mo = path.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: the build compiles it (make messages)"
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in catalog:
        if m.id:
            assert compiled.gettext(m.id) == m.string, f"{mo}: stale for {m.id!r}"


def test_the_language_rule():
    c = i18n.choose
    assert c("zh", {"LIVELAB_LANG": "en", "LANG": "en_US.UTF-8"}) == ("zh", "--lang")
    assert c(None, {"LIVELAB_LANG": "zh-CN", "LANG": "en_US.UTF-8"}) == ("zh", "LIVELAB_LANG")
    assert c(None, {"LANG": "zh_CN.UTF-8"}) == ("zh", "locale")
    assert c(None, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}) == ("en", "locale")
    assert c(None, {"LANG": "de_DE.UTF-8"}) == ("en", "locale")  # no German: English
    # C/POSIX say nothing about a language: the session's, else English
    assert c(None, {"LANG": "C"}, session_language="zh") == ("zh", "session")
    assert c(None, {"LANG": "C.UTF-8"}) == ("en", "default")
    assert c(None, {}, session_language="zh") == ("zh", "session")
    with pytest.raises(i18n.UnknownLanguage, match=r"'fr'.*en \(English\), zh \(简体中文\)"):
        c("fr", {})


def test_message_is_data_and_renders_in_either_language():
    m = Messages("livelab_pace")("dead_air", "dead air ({seconds:.1f} s)", start=34.2,
                                 end=38.5, seconds=4.3)
    e = Evidence(34.2, 38.5, "pace.dead_air_count", m)
    data = json.loads(json.dumps(e.to_dict()))
    assert data["message"] == "dead air (4.3 s)"  # the English text stays in "message"
    assert data["kind"] == "dead_air" and data["params"]["seconds"] == 4.3
    back = Evidence.from_dict(data)
    assert back == e
    assert i18n.say(back.message, "zh") == "冷场（4.3 秒）"
    assert i18n.say(back.message, "en") == "dead air (4.3 s)"
    # a nested word is translated too, and mm:ss comes from the seconds
    cov = Messages("livelab_coverage")
    said = cov("mention_said", "{product} — {mention}: “{quote}” at {at:clock}",
               product="杯子", mention=cov("mention", "promotion"), quote="包邮", at=48.2)
    assert i18n.say(Message.from_dict(said.to_dict()), "zh") == "杯子 — 优惠活动：00:48 “包邮”"
    # old scorecards carry plain text: shown as it is
    assert i18n.say("dead air 00:37–00:41", "zh") == "dead air 00:37–00:41"


def test_a_template_that_does_not_fit_its_parameters_fails_in_the_plugin():
    with pytest.raises(KeyError):
        Messages("my_plugin")("x", "{missing} s", seconds=1)
    with pytest.raises(ValueError, match="package name"):
        Messages("not a package")


def test_missing_key_falls_back_to_english_and_is_logged_once(caplog):
    m = Message("new", "a message nobody translated ({n})", {"n": 3}, "livelab_pace")
    with caplog.at_level(logging.WARNING, logger="livelab.i18n"):
        assert i18n.say(m, "zh") == "a message nobody translated (3)"
        assert i18n.say(m, "zh") == "a message nobody translated (3)"
    logged = [r for r in caplog.records if "nobody translated" in r.getMessage()]
    assert len(logged) == 1


def test_a_plugin_without_catalogs_and_a_bad_translation_fall_back(monkeypatch):
    m = Message("k", "{n} things", {"n": 2}, "no_such_plugin_package")
    assert i18n.say(m, "zh") == "2 things"
    # a translation whose fields do not match: English, not a crash
    broken = Message("k", "{n} things", {"n": 2}, "livelab_pace")
    monkeypatch.setattr(i18n, "translate", lambda domain, text, language=None: "{count} 个")
    assert i18n.say(broken, "zh") == "2 things"


def test_units_per_language():
    from livelab.builtin.reporters import format_value

    i18n.activate("zh")
    assert format_value(196, "cpm") == "196 字/分钟"
    assert format_value(4.5, "s") == "4.5 秒"
    assert format_value(2, "silences") == "2 次"
    assert format_value(0.5, "ratio") == "50%"
    i18n.activate("en")
    assert format_value(196, "cpm") == "196 cpm"
    assert format_value(1, "silences") == "1 silence"
    assert format_value(4.5, "s") == "4.5 s"


def test_bilingual_titles_pick_one_side():
    assert i18n.pick_title("语速 / Speaking pace", "zh") == "语速"
    assert i18n.pick_title("语速 / Speaking pace", "en") == "Speaking pace"
    assert i18n.pick_title("Price / value", "zh") == "Price / value"  # not bilingual


def test_unknown_lang_is_a_usage_error():
    result = CliRunner().invoke(cli, ["--lang", "fr", "plugins"])
    assert result.exit_code == 2
    assert "unknown language 'fr'" in result.output and "zh (简体中文)" in result.output
    result = CliRunner().invoke(cli, ["plugins"], env={"LIVELAB_LANG": "klingon"})
    assert result.exit_code == 2 and "LIVELAB_LANG" in result.output


def test_chinese_under_a_chinese_locale_and_lang_c_still_works(tmp_path):
    runner = CliRunner()
    zh = runner.invoke(cli, ["rubric", "list"], env={"LANG": "zh_CN.UTF-8"})
    assert zh.exit_code == 0, zh.output
    c = runner.invoke(cli, ["--help"], env={"LANG": "C", "LC_ALL": "C"})
    assert c.exit_code == 0 and "Usage" in c.output


def test_every_command_line_help_text_has_a_chinese_translation():
    from livelab.cli import help_texts

    path, catalog = _po("livelab")
    texts = help_texts()
    assert len(texts) > 50  # every command's docstring and options, lazily loaded ones too
    missing = [t for t in texts if not (catalog.get(t) and catalog.get(t).string)]
    assert not missing, f"{path}: no Chinese for {missing}"


def test_clicks_own_words_keep_their_fields():
    path = ROOT / "src" / "livelab" / "locale" / "zh_CN" / "LC_MESSAGES" / "click.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    field = re.compile(r"\{[^}]*\}|%\([a-z_]+\)s")
    for m in catalog:
        if not m.id:
            continue
        english = m.id if isinstance(m.id, tuple) else (m.id,)
        said = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(said), f"{path}: no Chinese for {m.id!r}"
        allowed = set().union(*(field.findall(e) for e in english))
        for s in said:
            assert set(field.findall(s)) <= allowed, f"{path}: {m.id!r}"


def _cells(text):
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


ZH = {"LANG": "zh_CN.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LIVELAB_LANG": None,
      "COLUMNS": "80"}


def test_help_is_chinese_under_a_chinese_locale_and_fits_80_columns():
    from livelab.cli import LAZY_COMMANDS

    runner = CliRunner()
    top = runner.invoke(cli, ["--help"], env=ZH)
    assert top.exit_code == 0, top.output
    for english in ("Usage:", "Options", "Commands", "Show this message", "rehearse"):
        assert english not in top.output, english
    assert "用法" in top.output and "显示本帮助并退出" in top.output and "命令" in top.output
    for name in LAZY_COMMANDS:
        shown = runner.invoke(cli, [name, "--help"], env=ZH)
        assert shown.exit_code == 0, shown.output
        assert "Show this message" not in shown.output
        wide = [line for line in shown.output.splitlines() if _cells(line) > 80]
        assert not wide, f"livelab {name} --help: lines wider than 80 columns: {wide}"
    # the same process, in English again: nothing stays translated
    en = runner.invoke(cli, ["analyze", "--help"], env={**ZH, "LANG": "C"})
    assert "Usage:" in en.output and "Analyse SESSION" in en.output and "分析" not in en.output


def _english_sentences(text: str) -> list[str]:
    """Two or more English words in a row in ``text``, once paths, quoted names, options,
    dotted metric names and `livelab COMMAND` are taken out: English left in a Chinese
    screen ("unknown key", "no such rubric")."""
    text = re.sub(r"'[^']*'|\S*/\S*|--?[\w-]+|\w+\.\w+\S*|livelab \w+", " ", text)
    return re.findall(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b", text)


def test_the_commands_messages_and_errors_are_chinese(tmp_path):
    """What `check`, `rubric`, `plugins` and the errors of a bad session say, under a Chinese
    locale: every line Chinese (the English sentences gone), the file and key still named."""
    runner = CliRunner()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.toml").write_text('title = 3\nfoo = 1\nrecording = "../x.mp4"\n',
                                      encoding="utf-8")
    checked = runner.invoke(cli, ["check", str(bad), str(tmp_path / "nothing"),
                                  str(ROOT / "sample_sessions" / "demo_zh")], env=ZH)
    assert checked.exit_code == 2
    out = checked.output
    assert out.count("错误：") == 4 and "error:" not in out
    assert f"{bad / 'session.toml'}: foo: 未知的键" in out  # the file and the key, named
    assert "title: 须为字符串，而不是整数" in out and "'../x.mp4' 指向练习文件夹之外" in out
    assert "没有这个练习文件夹或音视频文件" in out and "通过：" in out
    assert not _english_sentences(out), _english_sentences(out)

    validated = runner.invoke(cli, ["rubric", "validate",
                                    str(ROOT / "rubrics" / "anchor-basics-zh.yaml")], env=ZH)
    assert validated.exit_code == 0 and "通过：" in validated.output
    assert "15 个评分项，共 100 分" in validated.output
    shown = runner.invoke(cli, ["rubric", "show", "contest-live-ecommerce-zh"], env=ZH)
    assert shown.exit_code == 0 and "由评委打分" in shown.output and "超时每分钟扣" in shown.output
    missing = runner.invoke(cli, ["rubric", "show", "no-such-pack"], env=ZH)
    assert missing.exit_code == 2 and "错误：no-such-pack: 没有这个评分标准" in missing.output

    listed = runner.invoke(cli, ["plugins"], env={**ZH, "COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    pace = gettext.translation("livelab_pace", str(ROOT / "plugins" / "livelab_pace" / "locale"),
                               languages=["zh_CN"])
    english = "Longest pause between the first and the last words."
    assert pace.gettext(english) in listed.output and english not in listed.output
    for header in ("指标", "单位", "方向", "说明", "输出格式"):
        assert header in listed.output, header


def test_a_plugins_errors_are_data_and_chinese_where_they_are_shown(tmp_path):
    """The ops plugin's errors about a dashboard export name the row and the column in the
    reader's language, and stay English in str() (logs, old callers)."""
    import shutil

    from livelab import LivelabError
    from livelab_ops.table import read_ops

    session = tmp_path / "s"
    shutil.copytree(ROOT / "sample_sessions" / "demo_zh", session)
    (session / "ops.csv").write_text("时间,在线人数\n00:00,10\n00:30,12\n00:20,5\n",
                                     encoding="utf-8")
    with pytest.raises(LivelabError) as caught:
        read_ops(session / "ops.csv")
    [problem] = caught.value.problems
    assert "row 4, column '时间' (t)" in str(problem) and "times must increase" in str(problem)
    checked = CliRunner().invoke(cli, ["check", str(session)], env=ZH)
    assert checked.exit_code == 2
    assert "第 4 行，'时间' (t) 列" in checked.output and "时间必须逐行递增" in checked.output
    assert not _english_sentences(checked.output), _english_sentences(checked.output)


def test_notes_are_data_too_and_read_in_the_readers_language():
    """A warning an analyzer gives (ops rows after the recording's end) survives the cache
    and the JSON scorecard as a message: English in ``notes``, the message in
    ``note_messages``, Chinese on a Chinese page."""
    from livelab import Findings
    from livelab.reports.html import render_report
    from livelab.scoring.scorecard import read_scorecard

    ops = Messages("livelab_ops")
    warning = ops("rows_after_end", "{file}: {past} of {rows} rows (from {first}) are after "
                  "the recording's end at {end}; they are not counted", file="ops.csv",
                  past=3, rows=9, first="01:10", end="01:05")
    back = Findings.from_dict(json.loads(json.dumps(Findings(warnings=[warning, "plain"])
                                                    .to_dict())))
    assert back.warnings == [warning, "plain"]
    golden = ROOT / "tests" / "data" / "golden" / "demo_zh.scorecard.json"
    sc = read_scorecard(golden)
    sc.notes = [warning, "a note in plain text"]
    data = json.loads(json.dumps(sc.to_dict()))
    assert data["notes"][0] == "ops.csv: 3 of 9 rows (from 01:10) are after the recording's " \
        "end at 01:05; they are not counted"
    assert data["note_messages"][0]["kind"] == "rows_after_end"
    assert data["note_messages"][1] is None
    i18n.activate("zh", "--lang")
    page = render_report(data)
    assert "ops.csv：9 行中有 3 行（从 01:10 起）在录像结束（01:05）之后，不计入" in page
    assert "a note in plain text" in page and "they are not counted" not in page
    assert read_scorecard(data).notes == [warning, "a note in plain text"]


def test_a_grading_worker_speaks_the_runs_language(tmp_path):
    """A worker process starts in English; the task carries the run's language, so the
    gradebook's error column says what the teacher's screen says, and the worker's own
    language comes back afterwards."""
    from livelab.batch.grade import GradeTask, grade_one

    missing = tmp_path / "nothing"
    out = grade_one(GradeTask(1, str(missing), None, language="zh"), lambda *a: None)
    assert out["error"] == f"{missing}: 没有这个练习文件夹或音视频文件"
    assert i18n.current() == "en"
    out = grade_one(GradeTask(1, str(missing), None), lambda *a: None)
    assert out["error"] == f"{missing}: no such session folder or media file"


def test_click_errors_are_chinese_too():
    result = CliRunner().invoke(cli, ["analyz"], env=ZH)
    assert result.exit_code == 2
    assert "没有 'analyz' 这个命令" in result.output and "No such command" not in result.output


def test_wrapping_counts_columns_and_keeps_english_as_click_does():
    import click.formatting

    from livelab.cli.help import _click_wrap, wrap_cells

    english = "Also load every *.py file in this folder as a plugin (repeatable). " * 3
    assert wrap_cells(english, 40) == _click_wrap(english, 40)
    chinese = "同时把这个文件夹里的每个 *.py 文件作为插件加载（可重复）。" * 3
    lines = wrap_cells(chinese, 40).splitlines()
    assert len(lines) > 2 and all(_cells(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == chinese.replace(" ", "")  # nothing lost
    assert not any(line.startswith(("，", "。", "）")) for line in lines)
    assert click.formatting.wrap_text in (wrap_cells, _click_wrap)


def test_unscored_reasons_are_data_too():
    """A reason a plugin gives (or the core: a file the session does not name) survives the
    cache and the JSON scorecard as a message, and is shown in the reader's language."""
    from livelab import Findings
    from livelab.scoring.scorecard import AnalyzerStatus, CriterionResult, MetricEntry

    pace = Messages("livelab_pace")
    f = Findings()
    f.set("pace.rate_overall", None, pace("no_audio", "the session has no decodable audio"))
    back = Findings.from_dict(json.loads(json.dumps(f.to_dict())))
    reason = back.unmeasured["pace.rate_overall"]
    assert i18n.say(reason, "zh") == "这场直播没有可以解码的声音"
    row = CriterionResult("pace", "语速 / Pace", "pace.rate_overall", 10.0, reason=reason)
    data = json.loads(json.dumps(row.to_dict()))
    assert data["reason"] == "the session has no decodable audio"  # English stays the text
    assert i18n.say(CriterionResult.from_dict(data).reason, "zh") == "这场直播没有可以解码的声音"
    entry = MetricEntry(None, "wpm", "target", "", "pace", reason=reason)
    assert i18n.say(MetricEntry.from_dict(entry.to_dict()).reason, "zh").startswith("这场直播")
    core = Messages("livelab")("no_file", "the session names no ops file")
    status = AnalyzerStatus("1", "not run", core, 0.0)
    assert i18n.say(AnalyzerStatus.from_dict(status.to_dict()).reason, "zh") == (
        "这场直播没有指定运营数据文件"
    )
    # an old scorecard's plain reason reads as it is
    assert CriterionResult.from_dict({**data, "reason_message": None}).reason == data["reason"]
