"""The coverage plugin: product cards, detection in English and Mandarin, compliance, metrics."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import livelab
from livelab import Segment, Signals, Transcript, Word
from livelab.inputs.session import Session
from livelab_coverage import CoverageAnalyzer, livelab_analyzers
from livelab_coverage.measure import measure_coverage
from livelab_coverage.normalize import normalize, tokens
from livelab_coverage.products import load_products
from tests.conftest import REPO, SAMPLE

CARD = """\
products:
  - id: aquakeep-bottle
    name: AquaKeep insulated bottle
    aliases: [AquaKeep, the bottle]
    price: 19.99
    currency: USD
    original_price: 29.99
    promotion: {price: 17.99, terms: "buy two, get ten percent off; free shipping today"}
    selling_points:
      - {id: temperature, label: "Keeps drinks cold 24 h / hot 12 h",
         phrasings: ["cold for 24 hours", "hot for 12 hours"]}
      - {id: leak-proof, label: "Leak-proof lid", phrasings: ["leak proof lid", "won't leak"]}
      - {id: capacity, label: "750 ml", phrasings: ["750 ml", "holds 750 milliliters"]}
      - {id: material, label: "BPA-free stainless steel",
         phrasings: ["BPA free", "food grade stainless steel"]}
      - {id: dishwasher-safe, label: "Dishwasher safe",
         phrasings: ["dishwasher safe", "put it in the dishwasher"]}
    required_mentions: [name, price, promotion, call_to_action, guarantee, usage]
    planned_minutes: 1.5
"""

CARD_ZH = """\
products:
  - id: baowen-bei
    name: 暖暖保温杯
    aliases: [保温杯]
    price: 19.9
    selling_points:
      - {id: temperature, label: 保温12小时, phrasings: ["保温12小时", "保冷24小时"]}
      - {id: leak-proof, label: 不漏水, phrasings: ["不漏水", "倒过来也不漏"]}
      - {id: material, label: 316不锈钢, phrasings: ["316不锈钢"]}
      - {id: light, label: 轻便, phrasings: ["只有300克"]}
    required_mentions: [name, price, call_to_action]
"""


def write(tmp_path: Path, text: str, name: str = "products.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def transcript(lines: list[tuple[float, str]], language: str = "en") -> Transcript:
    """Timed lines → a transcript with word times, as the recogniser gives it."""
    segments = []
    for start, text in lines:
        if language == "zh":
            pieces, step = list(text), 0.22
        else:
            pieces, step = text.split(), 0.37
        words = tuple(
            Word(start + i * step, start + (i + 1) * step, w) for i, w in enumerate(pieces)
        )
        segments.append(Segment(start, start + len(pieces) * step, text, words))
    end = segments[-1].end if segments else 0.0
    return Transcript(language, "test", end, tuple(segments))


# --- product cards ------------------------------------------------------------------


def test_good_card_loads_with_all_fields(tmp_path):
    shutil.copyfile(SAMPLE / "bottle.png", tmp_path / "bottle.png") if (
        SAMPLE / "bottle.png"
    ).exists() else (tmp_path / "bottle.png").write_bytes(b"png")
    path = write(tmp_path, CARD + "    image: bottle.png\n")
    (product,) = load_products(path)
    assert product.id == "aquakeep-bottle"
    assert product.names == ("AquaKeep insulated bottle", "AquaKeep", "the bottle")
    assert product.price == 19.99 and product.promotion.price == 17.99
    assert [sp.id for sp in product.selling_points][-1] == "dishwasher-safe"
    assert product.selling_points[0].phrasings == ("cold for 24 hours", "hot for 12 hours")
    assert product.required_mentions[-1] == "usage"
    assert product.planned_minutes == 1.5
    assert product.image == (tmp_path / "bottle.png").resolve()


def test_vocabulary_for_the_recogniser_puts_brand_names_first(tmp_path):
    from livelab_coverage.products import vocabulary

    words = vocabulary(load_products(write(tmp_path, CARD)))
    assert words[:3] == ["AquaKeep insulated bottle", "AquaKeep", "the bottle"]
    assert "cold for 24 hours" in words


def problems(path: Path) -> list[livelab.Problem]:
    with pytest.raises(livelab.LivelabError) as info:
        load_products(path)
    assert all(Path(p.file) == path for p in info.value.problems), "every problem names the file"
    return info.value.problems


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("", "", "empty"),
        ("products: [\n  {id: a, name: b\n", "", "not valid YAML: "),
        ("products: []\n", "products", "empty"),
        ("products:\n  - 5\n", "products[0]", "mapping"),
        (
            CARD + CARD.split("products:\n")[1],
            "products[1].id",
            "duplicate product id 'aquakeep-bottle'",
        ),
        (
            "products:\n  - {id: x, name: X, price: 1}\n",
            "products[0].selling_points",
            "product 'x'",
        ),
        (
            "products:\n  - {id: x, name: X, price: 1, selling_points: []}\n",
            "products[0].selling_points",
            "at least one selling point",
        ),
        (CARD.replace("price: 19.99", "price: cheap"), "products[0].price", "must be a number"),
        (
            CARD.replace('phrasings: ["750 ml", "holds 750 milliliters"]', "phrasings: 7"),
            "products[0].selling_points[2].phrasings",
            "must be a list of text",
        ),
        (
            CARD.replace("[name, price,", "[name, cost,"),
            "products[0].required_mentions[1]",
            "unknown mention 'cost'",
        ),
        (
            CARD.replace("planned_minutes", "plannd_minutes"),
            "products[0].plannd_minutes",
            "unknown key",
        ),
        (CARD + "    image: ../../etc/passwd\n", "products[0].image", "outside"),
    ],
)
def test_bad_cards_name_file_product_and_key(tmp_path, text, key, words):
    found = problems(write(tmp_path, text))
    assert any(p.key == key and words in p.message for p in found), [str(p) for p in found]
    if key.startswith("products[0]") and "id: x" in text:
        assert all("product 'x'" in p.message for p in found)


def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        bomb += f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]\n"
    (p,) = problems(write(tmp_path, bomb))
    assert "aliases" in p.message and "not allowed" in p.message


def test_oversized_and_non_utf8_files_are_refused(tmp_path):
    big = write(tmp_path, "# " + "x" * 1_100_000 + "\n" + CARD)
    assert "larger than 1024 KiB" in problems(big)[0].message
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("products:\n  - {id: caf\xe9}\n".encode("latin-1"))
    assert "UTF-8" in problems(latin)[0].message


# --- normalisation --------------------------------------------------------------------


def canon(text: str, language: str = "en") -> list[str]:
    return [t.text for t in tokens(normalize(text, language))]


def test_prices_written_or_spoken_meet():
    # Whisper may write any of these for one spoken price.
    assert canon("$19.99") == canon("19.99") == ["19.99"]
    assert canon("nineteen ninety-nine") == ["1999"]  # compared digit-wise with 19.99
    assert canon("nineteen dollars and ninety-nine cents") == ["19.99"]
    assert canon("seven hundred fifty milliliters") == canon("750ml") == ["750", "ml"]
    assert canon("twenty four hours") == canon("24 h") == ["24", "hours"]
    assert canon("ten percent off") == canon("10% off")


def test_chinese_prices_width_and_script_meet():
    assert (
        canon("19块9", "zh") == canon("十九块九", "zh") == canon("19.9元", "zh") == ["19.9", "元"]
    )
    assert canon("１９．９元", "zh") == ["19.9", "元"]  # full-width digits
    assert canon("十九块九毛九", "zh") == ["19.99", "元"]
    assert canon("這個保溫杯", "zh") == canon("这个保温杯", "zh")
    assert canon("一百二十九", "zh") == ["129"]
    assert canon("唯一", "zh") == ["唯", "一"]  # not a quantity


# --- detection in English -----------------------------------------------------------


DEMO = [
    (7.2, "Today I have something really special for you, the aqua keep bottle."),
    (12.2, "It keeps your drinks cold for twenty four hours and hot for twelve hours."),
    (22.5, "The lid is completely leek proof, so throw it in your bag."),  # leek: recogniser
    (28.4, "It holds seven fifty milliliters, enough water for the whole day."),
    (33.7, "And it is made of BPA-free, food-grade stainless steal."),
    (38.1, "Take it to the gym, to the office, or on a long hike."),
    (48.7, "The original price is $29.99, but today it is only nineteen ninety-nine."),
    (56.5, "And if you buy two, you get 10% off, plus free shipping today."),
    (70.7, "Every order comes with 30-day free returns."),
    (77.7, "Tap the cart below to grab your Aqua Keep bottle."),
    (81.6, "Click the link and order now, before the deal ends."),
]


def run(card: str, lines, tmp_path, language="en", duration=90.0):
    products = load_products(write(tmp_path, card))
    return measure_coverage(products, transcript(lines, language), language, duration)


def test_english_points_found_despite_recognition_errors_and_omission_reported(tmp_path):
    f = run(CARD, DEMO, tmp_path)
    info = f.details["products"]["aquakeep-bottle"]
    assert {p["id"] for p in info["selling_points_found"]} == {
        "temperature",
        "leak-proof",
        "capacity",
        "material",
    }
    assert f.details["missed_selling_points"] == [
        {
            "product": "aquakeep-bottle",
            "product_name": "AquaKeep insulated bottle",
            "id": "dishwasher-safe",
            "label": "Dishwasher safe",
        }
    ]
    assert f.metrics["coverage.selling_points_ratio"] == pytest.approx(4 / 5)
    assert f.metrics["coverage.required_mentions_ratio"] == 1.0
    leak = next(p for p in info["selling_points_found"] if p["id"] == "leak-proof")
    assert "leek proof" in leak["quote"] and 22.5 <= leak["first_s"] < 26
    # Every hit is timed evidence quoting the recogniser's words.
    price = [e for e in f.evidence if e.text.startswith("price stated")]
    assert price and "nineteen ninety-nine" in price[0].text and "00:5" in price[0].text
    assert price[0].start_s > 48.7


def test_paraphrase_matches_and_unrelated_speech_does_not(tmp_path):
    lines = [
        (0.0, "Honestly the AquaKeep won't leak, even upside down in a backpack."),
        (5.0, "It goes with me to yoga. Nineteen ninety nine, tap the cart below."),
    ]
    f = run(CARD, lines, tmp_path, duration=60.0)
    found = {p["id"] for p in f.details["products"]["aquakeep-bottle"]["selling_points_found"]}
    assert found == {"leak-proof"}
    assert f.metrics["coverage.selling_points_ratio"] == pytest.approx(1 / 5)


def test_cta_rate_price_before_cta_and_time(tmp_path):
    lines = [
        (0.0, "Welcome everyone."),
        (4.0, "Tap the cart below!"),  # before any price
        (10.0, "This is the AquaKeep bottle, cold for 24 hours."),
        (20.0, "Only nineteen ninety-nine today."),
        (30.0, "Click the link and order now."),
    ]
    f = run(CARD, lines, tmp_path, duration=120.0)
    assert f.metrics["coverage.cta_per_10min"] == pytest.approx(2 / 120 * 600)
    assert f.metrics["coverage.price_before_cta"] == pytest.approx(0.5)
    assert 10.0 < f.metrics["coverage.first_mention_s"] < 11.5  # "the AquaKeep bottle"
    # The product is on air from the segment that names it to the end of speech.
    assert f.metrics["coverage.time_per_product_s"] == pytest.approx(31.85 - 10.0, abs=0.5)


def test_unknown_is_unmeasured_with_reason_never_zero(tmp_path):
    f = run(CARD, [(0.0, "Hello and welcome to the stream, lovely weather.")], tmp_path)
    for name in (
        "coverage.first_mention_s",
        "coverage.time_per_product_s",
        "coverage.order_matches_plan",
        "coverage.price_before_cta",
    ):
        assert name not in f.metrics and str(f.unmeasured[name])
    assert f.metrics["coverage.selling_points_ratio"] == 0.0  # known: nothing was said
    assert f.metrics["coverage.compliance_flags"] == 0.0


def test_two_products_order_and_segmentation(tmp_path):
    two = (
        CARD
        + """\
  - id: zapcharge
    name: ZapCharge power bank
    aliases: [ZapCharge]
    price: 34.99
    selling_points:
      - {id: fast, label: "65 W fast charging", phrasings: ["fast charging"]}
"""
    )
    in_order = [
        (0.0, "First the AquaKeep bottle, cold for 24 hours."),
        (10.0, "Nineteen ninety nine, tap the cart."),
        (20.0, "Next the ZapCharge power bank with fast charging."),
        (30.0, "Thirty four ninety nine, order now."),
    ]
    f = run(two, in_order, tmp_path)
    assert f.metrics["coverage.order_matches_plan"] == 1.0
    assert f.details["products"]["aquakeep-bottle"]["time_s"] == pytest.approx(20.0)
    assert f.details["products"]["zapcharge"]["time_s"] == pytest.approx(
        30 + 6 * 0.37 - 20, abs=0.01
    )
    ctas = f.details["calls_to_action"]
    assert [c["product"] for c in ctas] == ["aquakeep-bottle", "zapcharge"]
    swapped = [
        (0.0, in_order[2][1]),
        (10.0, in_order[3][1]),
        (20.0, in_order[0][1]),
        (30.0, in_order[1][1]),
    ]
    assert run(two, swapped, tmp_path).metrics["coverage.order_matches_plan"] == 0.0


# --- Mandarin -------------------------------------------------------------------------


def test_mandarin_points_prices_and_traditional_script(tmp_path):
    lines = [
        (0.0, "家人们看这个保溫杯"),  # traditional 溫 from the recogniser
        (3.0, "二十四小时保冷，倒过来也一点都不会漏水"),
        (8.0, "内胆是三幺六不锈钢"),
        (12.0, "今天只要十九块九，赶紧点击下方小黄车"),
    ]
    f = run(CARD_ZH, lines, tmp_path, language="zh", duration=30.0)
    info = f.details["products"]["baowen-bei"]
    assert {p["id"] for p in info["selling_points_found"]} == {
        "temperature",
        "leak-proof",
        "material",
    }
    assert [m["id"] for m in info["selling_points_missed"]] == ["light"]
    assert info["required_mentions"]["price"]["said"]
    assert info["required_mentions"]["call_to_action"]["said"]
    assert f.metrics["coverage.price_before_cta"] == 1.0


# --- compliance -----------------------------------------------------------------------


def test_compliance_flags_carry_timestamps_and_spare_near_misses(tmp_path):
    lines = [
        (0.0, "This is the best ever bottle."),
        (10.0, "The lid closes secure, the best part is the handle."),  # not flags
        (65.0, "Drinking water cures headaches."),
    ]
    f = run(CARD, lines, tmp_path)
    assert f.metrics["coverage.compliance_flags"] == 2.0
    flags = [e for e in f.evidence if e.metric == "coverage.compliance_flags"]
    assert [round(e.start_s, 2) for e in flags] == [round(3 * 0.37, 2), round(65 + 2 * 0.37, 2)]
    assert "“best ever”" in flags[0].text and "medical" in flags[1].text
    assert "01:0" not in flags[1].text  # the time is the evidence's, never repeated


def test_mandarin_absolute_words_with_exceptions(tmp_path):
    lines = [
        (0.0, "最近很多人问，我第一次用就爱上了"),  # 最近, 第一次: allowed
        (5.0, "这是全网最好的保温杯，销量第一，还能治疗胃病"),
    ]
    f = run(CARD_ZH, lines, tmp_path, language="zh")
    terms = [x["term"] for x in f.details["compliance_flags"]]
    assert terms == ["最", "第一", "治疗"]
    assert all(x["start_s"] >= 5.0 for x in f.details["compliance_flags"])


def test_rubric_can_extend_the_banned_words(tmp_path):
    from livelab_coverage.measure import CoverageOptions

    products = load_products(write(tmp_path, CARD))
    said = transcript([(0.0, "It is simply unbreakable, the AquaKeep.")])
    plain = measure_coverage(products, said, "en", 30.0)
    extended = measure_coverage(
        products, said, "en", 30.0, CoverageOptions(extra_compliance_terms=("unbreakable",))
    )
    assert plain.metrics["coverage.compliance_flags"] == 0.0
    assert extended.metrics["coverage.compliance_flags"] == 1.0


def test_silence_leaves_every_metric_unscored(tmp_path):
    from livelab_coverage.measure import METRIC_NAMES

    products = load_products(write(tmp_path, CARD))
    f = measure_coverage(products, Transcript("en", "test", 30.0, ()), "en", 30.0)
    assert not f.metrics and set(f.unmeasured) == set(METRIC_NAMES)
    assert "no speech" in str(f.unmeasured["coverage.selling_points_ratio"])


def test_phrasings_in_another_language_are_warned_about(tmp_path):
    products = load_products(write(tmp_path, CARD))  # English phrasings only
    f = measure_coverage(products, transcript([(0.0, "大家好")], "zh"), "zh", 30.0)
    assert len(f.details["warnings"]) == 5
    assert "aquakeep-bottle/temperature: no Mandarin phrasing" in f.details["warnings"][0]


# --- the analyzer in the core -------------------------------------------------------


def test_analyzer_declares_needs_and_public_metric_names():
    analyzer, interaction = livelab_analyzers()  # interaction: test_interaction.py
    assert isinstance(analyzer, CoverageAnalyzer) and interaction.name == "interaction"
    assert analyzer.needs == {"transcript", "products"}
    assert [m.name for m in analyzer.metrics] == [
        "coverage.selling_points_ratio",
        "coverage.required_mentions_ratio",
        "coverage.first_mention_s",
        "coverage.time_per_product_s",
        "coverage.order_matches_plan",
        "coverage.cta_per_10min",
        "coverage.price_before_cta",
        "coverage.compliance_flags",
    ]
    assert "phrase_lists" in analyzer.options()
    from livelab_coverage.measure import METRIC_NAMES

    assert tuple(m.name for m in analyzer.metrics) == METRIC_NAMES


def test_session_without_products_file_is_not_run(tmp_path, media_dir):
    from livelab.engine.pipeline import analyze_session
    from livelab.engine.plugins import load_plugins

    load_plugins()  # the core looks up a transcriber even for analyzers it will not run
    session = Session(root=tmp_path, title="t", files={"recording": media_dir / "audio_only.wav"})
    run_ = analyze_session(session, [CoverageAnalyzer()]).runs["coverage"]
    assert run_.status == "not run" and "products" in str(run_.reason)


def test_malformed_card_raises_a_user_error_naming_the_file(tmp_path):
    bad = write(tmp_path, "products:\n  - {id: x, name: X, price: 1}\n")
    session = Session(root=tmp_path, title="t", files={"recording": bad, "products": bad})
    signals = Signals(session=session, duration_s=10.0, transcript=transcript([(0.0, "hello")]),
                      products=livelab.read_products(bad))
    with pytest.raises(livelab.LivelabError, match="products.yaml: products\\[0\\].selling_points"):
        CoverageAnalyzer().analyze(signals)


def test_benchmark_corpus_meets_the_accuracy_targets(capsys):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import coverage_accuracy
    finally:
        sys.path.pop(0)
    assert coverage_accuracy.main([]) == 0, capsys.readouterr().out


@pytest.mark.slow
def test_sample_session_end_to_end(tmp_path):
    """Real transcription (tiny.en) of the demo pitch: the omitted point is reported missed."""
    from livelab.engine.pipeline import analyze_session
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import load_session

    if not (SAMPLE / "pitch.mp4").exists():
        pytest.skip("sample_sessions/demo_en/pitch.mp4 is not built")
    truth = json.loads((SAMPLE / "ground_truth.json").read_text())
    load_plugins()
    if (SAMPLE / "session.toml").exists() and (SAMPLE / "products.yaml").exists():
        session = load_session(SAMPLE)
        session = Session(
            root=tmp_path, title=session.title, language=session.language, files=dict(session.files)
        )  # cache in tmp, not in the repo
    else:  # the session's own card is not written yet: use this test's copy of it
        session = Session(
            root=tmp_path,
            title="demo",
            language="en",
            files={"recording": SAMPLE / "pitch.mp4", "products": write(tmp_path, CARD)},
        )
    analysis = analyze_session(session, [CoverageAnalyzer()])
    run_ = analysis.runs["coverage"]
    assert run_.status == "ran", run_.reason
    f = run_.findings
    info = f.details["products"][truth["product"]]
    missed = [m["id"] for m in info["selling_points_missed"]]
    assert missed == [truth["omitted_selling_point"]]
    assert info["selling_points_found"], "the other points are found"
    assert info["required_mentions"]["price"]["said"]
    assert f.metrics["coverage.price_before_cta"] == 1.0
    assert f.metrics["coverage.compliance_flags"] == 0.0


def test_short_phrases_need_every_word_heard():
    # Seen on the sample session: "you get 10% off" was taken for the call to action
    # "get yours" when a two-word phrase tolerated one misheard word.
    from livelab_coverage.match import PhraseIndex, TimedText

    words = "And if you buy two you get 10% off plus free shipping".split()
    seg = Segment(0.0, 5.0, " ".join(words),
                  tuple(Word(i * 0.4, i * 0.4 + 0.3, w) for i, w in enumerate(words)))
    index = PhraseIndex(TimedText.from_transcript(Transcript("en", "t", 5.0, (seg,))))
    assert index.find("get yours") == []
    assert [h.phrase for h in index.find("free shipping")] == ["free shipping"]


def test_highlights_and_time_per_product_are_declared_for_views(tmp_path):
    """The transcript highlights are the timed evidence of flags, calls to action, selling
    points and key mentions; time per product is per product in ``by_product`` too."""
    lines = [*DEMO, (86.0, "It is the best bottle in the world, guaranteed.")]
    f = run(CARD, lines, tmp_path)
    kinds = {
        "coverage.compliance_flags": ("flag", "compliance flag"),
        "coverage.cta_per_10min": ("cta", "call to action"),
        "coverage.selling_points_ratio": ("point", "selling point"),
        "coverage.required_mentions_ratio": ("mention", "key mention"),
    }
    expected = [
        (e.start_s, e.end_s, *kinds[e.metric], e.text)
        for e in f.evidence
        if e.start_s is not None and e.metric in kinds
    ]
    got = [(h.start_s, h.end_s, h.kind, h.label, h.text) for h in f.highlights]
    assert got == expected
    assert {h.kind for h in f.highlights} >= {"cta", "point", "mention"}
    info = f.details["products"]["aquakeep-bottle"]
    (item,) = f.by_product["coverage.time_per_product_s"].values()
    assert (item.name, item.value, item.planned) == (info["name"], info["time_s"], 90.0)
    assert livelab.Findings.from_dict(f.to_dict()).by_product == f.by_product


def test_every_metric_has_a_title():
    from livelab_coverage import CoverageAnalyzer, InteractionAnalyzer

    for analyzer in (CoverageAnalyzer(), InteractionAnalyzer()):
        assert analyzer.title
        assert all(m.title for m in analyzer.metrics)
