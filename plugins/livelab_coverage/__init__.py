"""livelab_coverage: did the anchor say what sells each product — and nothing the law forbids?
And did they answer what the audience asked?"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import livelab
from livelab import N_, Analyzer, Findings, MetricSpec, Signals

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from livelab import CueDetector, ProductCard
    from livelab_coverage.interaction import InteractionOptions
    from livelab_coverage.measure import CoverageOptions

__version__ = "0.1.0"

#: The plugin's messages; translations in locale/<lang>/LC_MESSAGES/livelab_coverage.po.
M = livelab.Messages("livelab_coverage")

METRICS = (
    MetricSpec(
        "coverage.selling_points_ratio",
        "ratio",
        N_("Share of the product cards' selling points the anchor said (per product in details)."),
        title=N_("Selling points said"),
    ),
    MetricSpec(
        "coverage.required_mentions_ratio",
        "ratio",
        N_("Share of required mentions said: name, price, promotion, call to action, "
           "guarantee, usage — as each card requires."),
        title=N_("Required mentions said"),
    ),
    MetricSpec(
        "coverage.first_mention_s",
        "s",
        N_("Seconds from the start until the first product is named or described "
           "(each product's first mention in details)."),
        better="lower",
        title=N_("First product mention"),
    ),
    MetricSpec(
        "coverage.time_per_product_s",
        "s",
        N_("Average seconds spent on each product mentioned (per product, and the plan, in "
           "details)."),
        better="target",
        title=N_("Time per product"),
    ),
    MetricSpec(
        "coverage.order_matches_plan",
        "pass",
        N_("1 when products were introduced in the order of the products file, else 0."),
        title=N_("Products in planned order"),
    ),
    MetricSpec(
        "coverage.cta_per_10min",
        "per 10 min",
        N_('Calls to action ("tap the cart", "点击下方小黄车") per ten minutes.'),
        better="target",
        title=N_("Calls to action"),
    ),
    MetricSpec(
        "coverage.price_before_cta",
        "ratio",
        N_("Share of calls to action preceded by a statement of the product's price."),
        title=N_("Price before call to action"),
    ),
    MetricSpec(
        "coverage.compliance_flags",
        "banned claims",
        N_("Banned absolute or exaggerated terms and unverifiable medical claims said."),
        better="lower",
        title=N_("Compliance flags"),
    ),
)


class CoverageAnalyzer(Analyzer):
    """Selling points, required mentions, calls to action and compliance words, per product."""

    name = "coverage"
    title = N_("What was said")
    version = "11"
    needs = frozenset({"transcript", "products"})
    metrics = METRICS
    facts = frozenset({"selling_points", "calls_to_action"})

    def __init__(self, settings: CoverageOptions | None = None):
        from livelab_coverage.measure import CoverageOptions

        self.settings = settings or CoverageOptions()

    def options(self) -> dict:
        from livelab_coverage import phrases

        # The shipped word lists change results as much as any setting does.
        return {**asdict(self.settings), "phrase_lists": phrases.digest()}

    def analyze(self, signals: Signals) -> Findings:
        from livelab_coverage.measure import measure_coverage

        if signals.products is None:  # the core does not run us then; kept for direct callers
            f = Findings()
            for m in METRICS:
                f.set(m.name, None, M("no_products_file", "the session names no products file"))
            return f
        products = signals.products.valid()  # a LivelabError names the file, product and key
        transcript = signals.transcript
        if transcript is None:
            f = Findings()
            for m in METRICS:
                f.set(m.name, None, M("no_transcript", "no transcript"))
            return f
        return measure_coverage(
            products, transcript, signals.language, signals.duration_s, self.settings
        )

    def revise(self, findings: Findings, facts: Mapping[str, Any], where: Path) -> Findings:
        """Selling points said or not said, calls to action missed or invented, as the
        instructor's review says (``facts.selling_points``, ``facts.calls_to_action``)."""
        from livelab_coverage.review import revise_coverage

        return revise_coverage(findings, facts, where)

    def fact_choices(self, details: Mapping[str, Any]) -> Mapping[str, Sequence[str]]:
        from livelab_coverage.review import fact_choices

        return fact_choices(details)


INTERACTION_METRICS = (
    MetricSpec(
        "interaction.questions_answered_ratio",
        "ratio",
        N_("Share of the audience's chat questions the anchor's speech addressed within the "
           "answer window (60 s by default); each unanswered question is evidence."),
        title=N_("Questions answered"),
    ),
)


class InteractionAnalyzer(Analyzer):
    """Audience questions in the chat log, and whether the anchor's speech answered them."""

    name = "interaction"
    title = N_("Audience questions")
    version = "8"
    needs = frozenset({"transcript", "chat"})
    wants = frozenset({"products"})
    metrics = INTERACTION_METRICS

    def __init__(self, settings: InteractionOptions | None = None):
        from livelab_coverage.interaction import InteractionOptions

        self.settings = settings or InteractionOptions()

    def options(self) -> dict:
        from livelab_coverage import phrases

        # Topic keywords and cue word lists decide answers as much as the window does.
        return {**asdict(self.settings), "phrase_lists": phrases.digest()}

    def check(self, signals: Signals) -> list[str]:
        from livelab_coverage.chat import read_chat

        chat = signals.file("chat")
        if chat is None:
            return []
        messages = read_chat(chat)  # a LivelabError names the file, line and key
        end = signals.duration_s
        late = [m for m in messages if end > 0 and m.t >= end]
        if not late:
            return []
        return [
            f"{chat.name}: {len(late)} of {len(messages)} messages (from "
            f"{livelab.clock(late[0].t)}) are after the recording's end at {livelab.clock(end)}"
        ]

    def analyze(self, signals: Signals) -> Findings:
        from livelab_coverage.chat import read_chat
        from livelab_coverage.interaction import measure_interaction

        f = Findings()
        chat = signals.file("chat")
        if chat is None or signals.transcript is None:  # the core does not run us then
            for m in INTERACTION_METRICS:
                f.set(m.name, None, M("no_chat", "no chat log") if chat is None
                      else M("no_transcript", "no transcript"))
            return f
        messages = read_chat(chat)  # a LivelabError names the file, line and key
        products = signals.products.valid() if signals.products is not None else None
        return measure_interaction(
            messages,
            signals.transcript,
            signals.language,
            signals.duration_s,
            products,
            self.settings,
        )


@livelab.hookimpl
def livelab_analyzers() -> list[Analyzer]:
    return [CoverageAnalyzer(), InteractionAnalyzer()]


@livelab.hookimpl
def livelab_cue_detector(products: Sequence[ProductCard], language: str) -> CueDetector | None:
    """The coverage matcher as the recorder's cue detector (see :mod:`livelab_coverage.cues`)."""
    from livelab_coverage.cues import CoverageCueDetector

    return CoverageCueDetector(tuple(products), language)
