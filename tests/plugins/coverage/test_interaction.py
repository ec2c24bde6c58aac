"""Cues in speech and the interaction metric: the chat log, the cue detector, answered
questions — on the sample session's real transcript, in Mandarin, and through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import livelab
from livelab import Segment, Signals, Transcript
from livelab.inputs.session import Session
from livelab.record.audience import ChatMessage
from livelab_coverage import InteractionAnalyzer, livelab_analyzers, phrases
from livelab_coverage.chat import MAX_PROBLEMS, looks_like_question, read_chat, topic_of
from livelab_coverage.cues import CoverageCueDetector
from livelab_coverage.interaction import InteractionOptions, content_words, measure_interaction
from livelab_coverage.products import load_products
from tests.conftest import SAMPLE, shared
from tests.plugins.coverage.test_coverage import CARD_ZH, transcript, write

METRIC = "interaction.questions_answered_ratio"
TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))


def line_at(prefix: str) -> dict:
    """The ground-truth line of the sample pitch that starts with ``prefix``."""
    return next(line for line in TRUTH["lines"] if line["text"].startswith(prefix))


PRICE_LINE = line_at("The original price")  # "... only $19.99": the only selling price said
SHIPPING_LINE = line_at("And if you buy two")  # "... plus free shipping today."
CTA_LINE = line_at("Tap the cart below")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Transcript, tuple]:
    """The sample pitch's real transcript (tiny.en) and its product card. A copy of the
    session with its .livelab cache when present (instant), else transcribed (~15 s)."""
    from livelab.engine.pipeline import transcript_of
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import load_session

    root = tmp_path_factory.mktemp("interaction") / "demo_en"
    shutil.copytree(SAMPLE, root)
    load_plugins()
    return transcript_of(load_session(root)), load_products(root / "products.yaml")


def ask(
    t: float,
    text: str,
    topic: str | None = None,
    product: str | None = None,
    user: str = "viewer_031",
) -> ChatMessage:
    return ChatMessage(t, user, "question", text, topic, product)


def write_chat(path: Path, lines: list[dict | str]) -> Path:
    path.write_text(
        "".join(
            (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines
        ),
        encoding="utf-8",
    )
    return path


# --- chat.jsonl -------------------------------------------------------------------------


def test_chat_reader_reads_the_format_and_infers_questions(tmp_path):
    path = tmp_path / "chat.jsonl"
    rows = [
        {
            "t": 42.5,
            "user": "viewer_031",
            "kind": "question",
            "text": "How much is it?",
            "topic": "price",
            "product": "aquakeep-bottle",
        },
        {"t": 3, "user": "viewer_002", "kind": "greeting", "text": "hi!"},
        {"t": 50.0, "text": "is it dishwasher safe", "likes": 3},  # no kind; an extra key
        {"t": 51.0, "text": "love the colour"},
        {"t": 52.0, "user": "viewer_9", "kind": "gift", "text": "sent a rocket"},
    ]
    body = (
        "\n".join(json.dumps(r) for r in rows[:2])
        + "\n\n   \n"
        + "\n".join(json.dumps(r) for r in rows[2:])
    )  # blank lines and no final newline
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))  # a BOM, as Notepad writes
    messages = read_chat(path)
    assert [m.t for m in messages] == [3.0, 42.5, 50.0, 51.0, 52.0]  # in time order
    first = messages[1]
    assert first == ChatMessage(
        42.5, "viewer_031", "question", "How much is it?", "price", "aquakeep-bottle"
    )
    assert [m.kind for m in messages] == ["greeting", "question", "question", "comment", "gift"]
    assert messages[2].user == "" and messages[2].topic is None


def test_malformed_chat_lines_are_named_by_line_and_key(tmp_path):
    path = write_chat(
        tmp_path / "chat.jsonl",
        [
            {"t": 1, "text": "fine"},
            "{not json",
            "[1, 2]",
            {"text": "no time"},
            {"t": -2, "text": "before the start"},
            {"t": "00:42", "text": "a clock, not seconds"},
            {"t": 5, "text": 42},
            {"t": 6},
            {"t": 7, "text": "x", "topic": "colour"},
            {"t": 8, "text": "x", "user": 31},
            '{"t": NaN, "text": "x"}',
            {"t": True, "text": "x"},
        ],
    )
    with pytest.raises(livelab.LivelabError) as info:
        read_chat(path)
    found = [(str(p.key), str(p.message)) for p in info.value.problems]
    assert all(Path(p.file) == path for p in info.value.problems)
    keys = [k for k, _ in found]
    assert keys == [
        "line 2",
        "line 3",
        "line 4, key 't'",
        "line 5, key 't'",
        "line 6, key 't'",
        "line 7, key 'text'",
        "line 8, key 'text'",
        "line 9, key 'topic'",
        "line 10, key 'user'",
        "line 11",
        "line 12, key 't'",
    ]
    messages = dict(found)
    assert "not valid JSON" in messages["line 2"]
    assert "JSON object" in messages["line 3"] and "a list" in messages["line 3"]
    assert "missing" in messages["line 4, key 't'"]
    assert "negative" in messages["line 5, key 't'"]
    assert '"00:42"' in messages["line 6, key 't'"]
    assert (
        "colour" in messages["line 9, key 'topic'"] and "price" in messages["line 9, key 'topic'"]
    )
    assert str(info.value).startswith(f"{path}: line 2: ")


def test_many_bad_lines_are_capped_and_counted(tmp_path):
    path = write_chat(tmp_path / "chat.jsonl", [{"t": -1, "text": "x"}] * (MAX_PROBLEMS + 7))
    with pytest.raises(livelab.LivelabError) as info:
        read_chat(path)
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert str(problems[0].key) == "line 1, key 't'"
    assert str(problems[MAX_PROBLEMS - 1].key).startswith(f"line {MAX_PROBLEMS},")
    assert str(problems[-1].message) == "… and 7 more problems"


def test_nul_bytes_non_utf8_and_oversized_files_are_refused(tmp_path, monkeypatch):
    from livelab_coverage import chat

    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(b'{"t": 1, "text": "a"}\n\x00\x00\x00')
    with pytest.raises(livelab.LivelabError, match="nul.jsonl: contains NUL bytes"):
        read_chat(nul)
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(b'{"t": 1, "text": "ok"}\n' + '{"t": 2, "text": "多少钱"}'.encode("gb18030"))
    with pytest.raises(livelab.LivelabError, match="gbk.jsonl: line 2: is not UTF-8"):
        read_chat(gbk)
    big = write_chat(tmp_path / "big.jsonl", [{"t": 1, "text": "x" * 200}])
    monkeypatch.setattr(chat, "MAX_CHAT_BYTES", 100)
    with pytest.raises(livelab.LivelabError, match="big.jsonl: .*at most"):
        read_chat(big)


@pytest.mark.parametrize(
    ("text", "question", "topic"),
    [
        ("How much is it?", True, "price"),
        ("how much is shipping", True, "shipping"),  # a question word; shipping beats price
        ("where can I buy it", True, "link"),
        ("link?", True, "link"),
        ("any coupon", True, "promotion"),
        ("what size is it", True, "size"),
        ("is it dishwasher safe", True, None),
        ("love the colour", False, None),
        ("shopping is fun", False, None),  # not "shipping": keywords are matched exactly
        ("多少钱？", True, "price"),
        ("运费多少钱", True, "shipping"),
        ("包邮吗", True, "shipping"),
        ("怎么买", True, "link"),
        ("有优惠吗", True, "promotion"),
        ("主播好漂亮", False, None),
    ],
)
def test_questions_and_topics_from_the_keyword_lists(text, question, topic):
    assert looks_like_question(text) is question
    assert topic_of(text) == topic


def test_content_words_drop_stop_and_question_words():
    assert content_words("Does it fit in a car cup holder?") == ("fit", "car", "cup", "holder")
    assert content_words("这个杯子能放进车里吗？") == (
        "杯",
        "子",
        "放",
        "进",
        "车",
        "里",
    )  # 能: 能不能
    assert content_words("what?") == ()


# --- the cue detector -------------------------------------------------------------------


@pytest.mark.slow
def test_cue_detector_on_the_sample_pitch(sample):
    tr, products = sample
    cues = CoverageCueDetector(products, "en").detect(tr)
    kinds = {c.kind for c in cues}
    assert kinds <= livelab.CUE_KINDS
    points = {c.text for c in cues if c.kind == "selling_point"}
    said = {p.id for p in products[0].selling_points} - {TRUTH["omitted_selling_point"]}
    assert points == said  # every said selling point, and not dishwasher-safe
    prices = [c for c in cues if c.kind == "price"]
    assert len(prices) == 1 and "19.99" in prices[0].text  # not the original $29.99
    assert PRICE_LINE["start_s"] < prices[0].t < PRICE_LINE["end_s"]
    ctas = [c for c in cues if c.kind == "cta"]
    assert ctas and CTA_LINE["start_s"] - 0.5 <= ctas[0].t < CTA_LINE["end_s"]
    assert all(c.product == "aquakeep-bottle" for c in cues if c.kind != "size")
    shipping = [c for c in cues if c.kind == "shipping"]
    assert shipping and SHIPPING_LINE["start_s"] < shipping[0].t < SHIPPING_LINE["end_s"] + 0.5
    assert [c.t for c in cues] == sorted(c.t for c in cues)


@pytest.mark.slow
def test_live_chunks_find_what_the_whole_transcript_does(sample):
    """The recorder feeds a few seconds at a time: the same points, price and CTA are heard."""
    tr, products = sample
    detector = CoverageCueDetector(products, "en")
    whole = {
        (c.kind, c.text if c.kind == "selling_point" else "")
        for c in detector.detect(tr)
        if c.kind in ("selling_point", "price", "cta")
    }
    live: set[tuple[str, str]] = set()
    for seg in tr.segments:  # each recognised segment is 2-7 s of speech
        for c in detector.detect(Transcript("en", tr.model, seg.end, (seg,))):
            assert seg.start - 0.01 <= c.t <= seg.end  # times stay the recording's times
            if c.kind in ("selling_point", "price", "cta"):
                live.add((c.kind, c.text if c.kind == "selling_point" else ""))
    assert live == whole


@pytest.mark.slow
def test_without_products_only_product_independent_cues(sample):
    tr, _products = sample
    cues = CoverageCueDetector((), "en").detect(tr)
    assert {c.kind for c in cues} <= {"cta", "size", "shipping", "promotion"}
    assert {"cta", "shipping"} <= {c.kind for c in cues}
    assert all(c.product is None for c in cues)


def test_size_units_count_only_after_a_number():
    detector = CoverageCueDetector((), "zh")
    said = transcript(
        [(0.0, "这款大米很香"), (3.0, "起码能用三年"), (6.0, "容量七百五十毫升，高二十五厘米")],
        "zh",
    )
    sizes = [c for c in detector.detect(said) if c.kind == "size"]
    assert [c.text for c in sizes] == ["容量", "毫升", "厘米"]  # not 米 in 大米, not 码 in 起码
    english = CoverageCueDetector((), "en").detect(
        transcript([(0.0, "the l in the logo and 2 in 1"), (4.0, "it holds 2 liters")])
    )
    assert [c.text for c in english if c.kind == "size"] == ["liters"]


def test_hook_builds_a_detector_from_cards_and_bad_cards_are_refused_first(tmp_path):
    from livelab.engine.plugins import load_plugins, pm

    load_plugins()
    cards = livelab.load_products(SAMPLE / "products.yaml")
    detector = pm.hook.livelab_cue_detector(products=cards, language="en")
    assert (
        isinstance(detector, CoverageCueDetector) and detector.products[0].id == "aquakeep-bottle"
    )
    assert pm.hook.livelab_cue_detector(products=(), language="zh").products == ()
    # The cards are validated once, before the hook (by the recorder, with livelab's rules).
    bad = write(tmp_path, "products:\n  - {id: x, name: X, price: 1}\n")
    with pytest.raises(livelab.LivelabError, match=r"products.yaml: products\[0\].selling_points"):
        livelab.load_products(bad)


def test_new_word_lists_are_in_the_cache_digest(tmp_path, monkeypatch):
    copy = tmp_path / "phrases"
    shutil.copytree(phrases.FOLDER, copy)
    monkeypatch.setattr(phrases, "FOLDER", copy)
    before = phrases.digest()
    for name in (
        "size_en.txt",
        "size_zh.txt",
        "shipping_en.txt",
        "shipping_zh.txt",
        "topics_en.txt",
        "topics_zh.txt",
        "questions_en.txt",
        "questions_zh.txt",
    ):
        path = copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\nparcel\n")
        assert phrases.digest() != before, name
        path.write_bytes(original)
    assert phrases.digest() == before


# --- the interaction metric on the sample pitch ----------------------------------------


@pytest.mark.slow
def test_price_question_before_the_price_is_answered_and_after_it_is_not(sample):
    tr, products = sample
    early = PRICE_LINE["start_s"] - 3  # "Um, so, what about the price?" is being said
    late = PRICE_LINE["end_s"] + 5  # the price is never said again
    f = measure_interaction(
        [
            ask(early, "How much is the AquaKeep?", "price", "aquakeep-bottle"),
            ask(late, "how much is it??", user="viewer_077"),
        ],
        tr,
        "en",
        TRUTH["duration_s"],
        products,
    )
    assert f.metrics[METRIC] == 0.5
    first, second = f.details["questions"]
    assert first["answered"] and PRICE_LINE["start_s"] < first["answered_at"] < PRICE_LINE["end_s"]
    assert "19.99" in first["cue"]
    assert second["topic"] == "price" and second["topic_from"] == "keywords"
    assert not second["answered"] and second["answered_at"] is None
    (evidence,) = f.evidence
    assert evidence.start_s == late and evidence.end_s == late + 60
    assert evidence.metric == METRIC
    assert evidence.text == (
        "unanswered question: “how much is it??” (viewer_077)"
    )


@pytest.mark.slow
def test_shipping_link_and_topicless_questions_on_the_sample(sample):
    tr, products = sample
    f = measure_interaction(
        [
            ask(30.0, "do you ship to Canada?"),  # answered by "free shipping today"
            ask(CTA_LINE["start_s"] - 10, "link?", "link"),  # answered by "tap the cart"
            ask(5.0, "can I take it on a hike?"),  # no topic: "Take it … on a long hike"
            ask(50.0, "is it good for the gym?"),  # the gym was mentioned before, not after
        ],
        tr,
        "en",
        TRUTH["duration_s"],
        products,
    )
    rows = f.details["questions"]
    hiking, shipping, gym, link = rows  # in time order
    assert shipping["topic"] == "shipping" and shipping["answered"]
    assert SHIPPING_LINE["start_s"] < shipping["answered_at"] < SHIPPING_LINE["end_s"] + 0.5
    assert link["answered"] and CTA_LINE["start_s"] - 0.5 <= link["answered_at"] < CTA_LINE["end_s"]
    assert hiking["topic"] is None and hiking["answered"] and "hike" in hiking["cue"]
    assert not gym["answered"]
    assert f.metrics[METRIC] == 0.75
    assert [e.start_s for e in f.evidence] == [50.0]


@pytest.mark.slow
def test_a_question_about_another_product_is_not_answered_by_this_price(sample, tmp_path):
    tr, _ = sample
    two = (SAMPLE / "products.yaml").read_text(encoding="utf-8") + (
        "  - id: thermo-mug\n    name: ThermoMug travel mug\n    aliases: [ThermoMug]\n"
        "    price: 24.5\n"
        "    selling_points:\n      - {id: lid, label: One-hand lid, phrasings: [one hand lid]}\n"
        "    required_mentions: [name, price]\n"
    )
    shutil.copy2(SAMPLE / "bottle.png", tmp_path / "bottle.png")
    products = load_products(write(tmp_path, two))
    t = PRICE_LINE["start_s"] - 3
    f = measure_interaction(
        [
            ask(t, "how much is it?", "price", "thermo-mug"),
            ask(t, "and the ThermoMug, how much?"),  # the product named in the text
            ask(t, "how much is the bottle?", "price", "aquakeep-bottle"),
        ],
        tr,
        "en",
        TRUTH["duration_s"],
        products,
    )
    by_text = {r["text"]: r for r in f.details["questions"]}
    assert not by_text["how much is it?"]["answered"]
    assert by_text["and the ThermoMug, how much?"]["product"] == "thermo-mug"
    assert not by_text["and the ThermoMug, how much?"]["answered"]
    assert by_text["how much is the bottle?"]["answered"]
    # A product no card has is reported and ignored, not silently unanswerable.
    g = measure_interaction([ask(t, "price?", "price", "no-such-card")], tr, "en", 90.0, products)
    assert g.metrics[METRIC] == 1.0 and "no-such-card" in g.details["warnings"][0]


@pytest.mark.slow
def test_the_answer_window_is_an_option_and_in_the_cache_key(sample):
    tr, products = sample
    t = PRICE_LINE["start_s"] - 3
    gap = 54.3 - t  # about 8.5 s until "$19.99" is said
    question = [ask(t, "how much?", "price")]
    short = measure_interaction(
        question, tr, "en", 90.0, products, InteractionOptions(answer_within_s=gap - 4)
    )
    wide = measure_interaction(
        question, tr, "en", 90.0, products, InteractionOptions(answer_within_s=gap + 4)
    )
    assert short.metrics[METRIC] == 0.0 and wide.metrics[METRIC] == 1.0
    assert short.evidence[0].end_s == pytest.approx(t + gap - 4)
    assert short.details["window_s"] == pytest.approx(gap - 4)
    a = InteractionAnalyzer(InteractionOptions(answer_within_s=30)).options()
    assert a["answer_within_s"] == 30 and a != InteractionAnalyzer().options()
    assert "phrase_lists" in a


@pytest.mark.slow
def test_no_questions_is_unmeasured_never_zero(sample):
    tr, products = sample
    chatter = [ChatMessage(3.0, "v1", "greeting", "hi!"), ChatMessage(9.0, "v2", "comment", "nice")]
    f = measure_interaction(chatter, tr, "en", 90.0, products)
    assert METRIC not in f.metrics
    assert str(f.unmeasured[METRIC]) == "no audience questions in the chat"
    silent = measure_interaction(
        [ask(3.0, "price?")], Transcript("en", "t", 90.0, ()), "en", 90.0, products
    )
    assert str(silent.unmeasured[METRIC]) == "no speech was recognised in the recording"
    late = measure_interaction([ask(120.0, "still there?")], tr, "en", 90.0, products)
    assert METRIC not in late.metrics and "1 after it" in str(late.unmeasured[METRIC])
    assert late.details["after_the_end"][0]["t"] == 120.0


# --- Mandarin -------------------------------------------------------------------------


ZH_PITCH = [
    (0.0, "家人们晚上好，欢迎来到直播间"),
    (4.0, "今天给大家带来这款暖暖保温杯"),
    (8.0, "二十四小时保冷，倒过来也不漏水"),
    (13.0, "容量五百毫升，放进车里的杯架刚刚好"),
    (19.0, "原价三十九，今天只要十九块九"),
    (24.0, "而且全国包邮，四十八小时内发货"),
    (30.0, "喜欢的家人们赶紧点击下方小黄车"),
]


def test_mandarin_cues_and_answers(tmp_path):
    products = load_products(write(tmp_path, CARD_ZH))
    tr = transcript(ZH_PITCH, "zh")
    cues = CoverageCueDetector(products, "zh").detect(tr)
    by_kind: dict[str, list] = {}
    for c in cues:
        by_kind.setdefault(c.kind, []).append(c)
    assert [c.text for c in by_kind["price"]] == ["十九块九"]  # not the original 39
    assert {c.text for c in by_kind["selling_point"]} == {"temperature", "leak-proof"}
    assert "包邮" in [c.text for c in by_kind["shipping"]]
    assert by_kind["cta"] and by_kind["cta"][0].t >= 30.0
    assert {"容量", "毫升"} <= {c.text for c in by_kind["size"]}
    f = measure_interaction(
        [
            ask(2.0, "多少钱？"),  # answered at 19 s
            ask(20.0, "包邮吗"),  # answered at 24 s
            ask(25.0, "怎么买？"),  # the cart at 30 s
            ask(26.0, "能放进车里吗？"),  # no topic; the car was mentioned before, not after
            ask(9.0, "能放进车里吗？", user="viewer_008"),  # … and after this one
            ask(31.0, "还有优惠吗"),  # nothing after
        ],
        tr,
        "zh",
        40.0,
        products,
    )
    rows = {(r["t"], r["text"]): r for r in f.details["questions"]}
    assert (
        rows[(2.0, "多少钱？")]["answered"] and 19.0 < rows[(2.0, "多少钱？")]["answered_at"] < 24
    )
    assert rows[(20.0, "包邮吗")]["answered_at"] == pytest.approx(24.0, abs=1.5)
    assert rows[(25.0, "怎么买？")]["topic"] == "link" and rows[(25.0, "怎么买？")]["answered"]
    assert (
        rows[(9.0, "能放进车里吗？")]["answered"] and rows[(9.0, "能放进车里吗？")]["topic"] is None
    )
    assert not rows[(26.0, "能放进车里吗？")]["answered"]
    assert not rows[(31.0, "还有优惠吗")]["answered"]
    assert f.metrics[METRIC] == pytest.approx(4 / 6)
    assert [e.text for e in f.evidence] == [
        "unanswered question: “能放进车里吗？” (viewer_031)",
        "unanswered question: “还有优惠吗” (viewer_031)",
    ]
    assert [e.start_s for e in f.evidence] == [26.0, 31.0]  # each from its question's time


@pytest.mark.slow
def test_real_mandarin_recording_through_the_pipeline(tmp_path):
    """AISHELL's "广州市房地产中介协会分析", transcribed for real: a question about its words
    is answered by content, a shipping question is not."""
    from livelab.engine.pipeline import analyze_session
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import load_session

    wav = shared("speech/aishell-BAC009S0724W0121.wav")
    shutil.copy2(wav, tmp_path / wav.name)
    write_chat(
        tmp_path / "chat.jsonl",
        [
            {"t": 0.0, "user": "观众1", "text": "广州的房地产中介怎么样？"},
            {"t": 0.1, "user": "观众2", "text": "包邮吗"},
            {"t": 0.2, "user": "观众3", "text": "主播好"},
        ],
    )
    (tmp_path / "session.toml").write_text(
        f'title = "aishell"\nlanguage = "zh"\nrecording = "{wav.name}"\nchat = "chat.jsonl"\n',
        encoding="utf-8",
    )
    load_plugins()
    run = analyze_session(load_session(tmp_path), [InteractionAnalyzer()]).runs["interaction"]
    assert run.status == "ran", str(run.reason)
    f = run.findings
    assert f.details["asked"] == 2  # the greeting is not a question
    housing, shipping = f.details["questions"]
    assert housing["answered"] and housing["topic"] is None, f.details
    assert not shipping["answered"] and shipping["topic"] == "shipping"
    assert f.metrics[METRIC] == 0.5
    assert "no product cards" in f.details["warnings"][0]


# --- the analyzer in the core -----------------------------------------------------------


def test_analyzer_declares_needs_wants_and_the_public_metric():
    analyzer = next(a for a in livelab_analyzers() if a.name == "interaction")
    assert isinstance(analyzer, InteractionAnalyzer) and analyzer.version == "8"
    assert analyzer.needs == {"transcript", "chat"} and analyzer.wants == {"products"}
    assert [(m.name, m.unit, m.better) for m in analyzer.metrics] == [(METRIC, "ratio", "higher")]
    assert analyzer.options()["answer_within_s"] == 60.0


def test_malformed_chat_is_a_user_error_from_the_analyzer(tmp_path):
    chat = write_chat(tmp_path / "chat.jsonl", [{"t": 1, "text": "ok"}, {"t": "soon"}])
    session = Session(root=tmp_path, title="t", files={"recording": chat, "chat": chat})
    signals = Signals(
        session=session,
        duration_s=10.0,
        transcript=Transcript("en", "t", 1.0, (Segment(0, 1, "hello"),)),
    )
    with pytest.raises(livelab.LivelabError, match=r"chat.jsonl: line 2, key 't'"):
        InteractionAnalyzer().analyze(signals)


@pytest.mark.slow
def test_livelab_analyze_all_puts_the_metric_in_the_scorecard(tmp_path):
    from livelab.cli import cli

    root = tmp_path / "demo_en"
    shutil.copytree(SAMPLE, root)  # with its .livelab cache when present
    write_chat(
        root / "chat.jsonl",
        [
            {"t": 2.0, "user": "viewer_001", "kind": "greeting", "text": "hi!"},
            {
                "t": PRICE_LINE["start_s"] - 3,
                "user": "viewer_031",
                "kind": "question",
                "text": "How much is the AquaKeep bottle?",
                "topic": "price",
                "product": "aquakeep-bottle",
            },
            {
                "t": 84.0,
                "user": "viewer_042",
                "kind": "question",
                "text": "is there a coupon?",
                "topic": "promotion",
            },
        ],
    )
    assert 'chat = "chat.jsonl"' in (root / "session.toml").read_text("utf-8")
    out = tmp_path / "scorecard.json"
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "--all", "--json", str(out), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    sc = json.loads(out.read_text(encoding="utf-8"))
    assert sc["analyzers"]["interaction"]["status"] == "ran"
    metric = sc["metrics"][METRIC]
    assert (
        metric["value"] == 0.5 and metric["unit"] == "ratio" and metric["analyzer"] == "interaction"
    )
    unanswered = [e for e in sc["evidence"] if e["metric"] == METRIC]
    # the 60 s answer window, cut at the recording's end
    end = min(144.0, sc["session"]["duration_s"])
    assert [(e["start_s"], e["end_s"]) for e in unanswered] == [(84.0, end)]
    assert "“is there a coupon?” (viewer_042)" in unanswered[0]["message"]
    assert sc["details"]["interaction"]["asked"] == 2
