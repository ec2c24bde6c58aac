"""The simulated live-room audience of ``livelab record``: a seeded model that reacts to
what the anchor does, measured live, and writes what a real stream would: ``ops.csv`` rows
and ``chat.jsonl`` messages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from livelab.api.chat import ANSWERED_BY, CHAT_KINDS, TOPICS, ChatMessage
from livelab.api.messages import CORE_DOMAIN, Message, Messages
from livelab.api.products import ProductCard
from livelab.i18n import N_

M = Messages(CORE_DOMAIN)

# The chat message and its kinds are part of the plugin API (livelab.api.chat); the names
# stay importable from here for the recorder and the live screen.
__all__ = [
    "ANSWERED_BY",
    "CHAT_KINDS",
    "TOPICS",
    "Audience",
    "AudienceParams",
    "ChatMessage",
    "ProductInfo",
    "RoomState",
    "product_infos",
]


#: The question topics as the live room names them (``livelab.api.chat.TOPICS``).
TOPIC_NAMES = {
    "price": N_("price"),
    "size": N_("size"),
    "shipping": N_("shipping"),
    "link": N_("link"),
    "promotion": N_("promotion"),
}


@dataclass(frozen=True, slots=True)
class RoomState:
    """The live room at media time ``t`` (seconds recorded so far)."""

    t: float
    viewers: int
    peak_viewers: int
    entries: int
    exits: int
    likes: int
    orders: int
    gmv: float
    interest: float  # 0–1: how engaged the room is
    silence_s: float  # the current run of silence (0 while the anchor speaks)
    open_questions: int  # questions still waiting for an answer
    mood: Message  # one line for the student: "dead air 5 s: viewers are leaving"
    warning: bool = False  # the mood says: act now (dead air, questions waiting)


@dataclass(frozen=True, slots=True)
class AudienceParams:
    """Every number of the audience model (rates are per second). They are our proposal,
    tuned so that a plain two-minute pitch to a small room reads like a small real one:
    tens of viewers, a few questions a minute, orders only after a price and a call to
    action. Change them here; the README's "simulated audience" section explains each."""

    start_viewers: int = 12  # in the room when the take starts
    arrivals_per_s: float = 0.35  # new viewers from the feed at interest 0.5 (scales with it)
    stay_s: float = 150.0  # mean stay of a viewer at interest 0.5
    dead_air_s: float = 3.0  # silence longer than this is dead air (REFERENCE.md: our 3 s)
    dead_air_leave: float = 4.0  # leaving rate × this during dead air
    unanswered_leave: float = 0.6  # leaving rate × (1 + this × questions unanswered lately)
    unanswered_memory_s: float = 60.0  # how long an unanswered question keeps hurting
    answer_within_s: float = 60.0  # a question not answered by then counts as unanswered
    interest_start: float = 0.5
    interest_rest: float = 0.3  # with nothing happening, interest drifts back to this…
    interest_tau_s: float = 90.0  # …with this time constant
    interest_per_cue: tuple[tuple[str, float], ...] = (
        ("selling_point", 0.10),
        ("price", 0.12),
        ("promotion", 0.10),
        ("product", 0.03),
        ("answer", 0.08),
    )
    dead_air_drain_per_s: float = 0.02  # interest lost per second of dead air
    likes_per_viewer_s: float = 0.01  # at interest 0.5
    greeting_chance: float = 0.2  # a new viewer says hello
    questions_per_viewer_s: float = 0.0015  # at interest 0.5
    comments_per_viewer_s: float = 0.001
    shares_per_viewer_s: float = 0.0003
    follow_chance_per_s: float = 0.0005  # per viewer, × interest
    cta_after_price_s: float = 120.0  # a call to action sells if the price was said this recently
    click_chance: float = 0.3  # viewers who open the product card on a call to action
    buy_chance: float = 0.3  # of those who click, × interest / 0.5, buy…
    buy_delay_s: tuple[float, float] = (3.0, 25.0)  # …this long after the call to action

    def bump(self, kind: str) -> float:
        return dict(self.interest_per_cue).get(kind, 0.0)


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the audience knows of a product card: what to call it and what it costs."""

    id: str
    name: str
    price: float | None
    promo_price: float | None

    def paid(self, promotion_said: bool) -> float:
        if promotion_said and self.promo_price is not None:
            return self.promo_price
        return self.price or 0.0


def product_infos(cards: Sequence[ProductCard]) -> list[ProductInfo]:
    """The audience's view of the product cards: the shortest alias (what a viewer types),
    else the name, and the list and promotion prices."""
    out = []
    for card in cards:
        name = min(card.aliases, key=len) if card.aliases else card.name
        promo = card.promotion.price if card.promotion is not None else None
        out.append(ProductInfo(card.id, name, card.price, promo))
    return out


_TEXTS = {
    "en": {
        "greeting": [
            "hi!",
            "hello 👋",
            "hey everyone",
            "just joined",
            "hi from Guangzhou",
            "good evening",
            "hello hello",
        ],
        "comment": [
            "nice",
            "looks good",
            "want one",
            "cool colour",
            "🔥🔥",
            "love it",
            "is this live?",
            "interesting",
        ],
        "price": ["how much is {p}?", "price?", "how much?", "what does {p} cost?"],
        "size": [
            "how big is {p}?",
            "what size is it?",
            "what are the dimensions?",
            "how much does it hold?",
        ],
        "shipping": [
            "is shipping free?",
            "how long is delivery?",
            "do you ship to Shenzhen?",
            "when does it ship?",
        ],
        "link": ["link?", "where do I buy it?", "link please", "how do I order?"],
        "promotion": [
            "any discount?",
            "is there a coupon?",
            "any deal today?",
            "can it be cheaper?",
        ],
    },
    "zh": {
        "greeting": ["主播好", "来了来了", "大家好", "晚上好", "刚进来", "哈喽", "打卡"],
        "comment": ["不错", "好看", "想要", "666", "颜色好看", "喜欢", "支持主播"],
        "price": ["{p}多少钱？", "价格多少？", "多少钱？", "这个怎么卖？"],
        "size": ["{p}有多大？", "尺寸多少？", "容量多大？", "有几个尺码？"],
        "shipping": ["包邮吗？", "几天能到？", "什么时候发货？", "发什么快递？"],
        "link": ["链接在哪？", "怎么买？", "求链接", "在哪里下单？"],
        "promotion": ["有优惠吗？", "有优惠券吗？", "能便宜点吗？", "今天有活动吗？"],
    },
}


@dataclass(slots=True)
class _Question:
    t: float
    user: str
    topic: str
    product: str | None


class Audience:
    """The simulated room. Call :meth:`hear` with each cue as speech is understood and
    :meth:`step` every ``dt`` seconds of recording with the current run of silence;
    read the chat it wrote and the counters for the ops export.

    Everything random comes from one seeded generator, and the model only sees what the
    recorder measured, so the same recording, seed and parameters give the same room.
    """

    def __init__(
        self,
        products: list[ProductInfo],
        language: str,
        seed: int,
        params: AudienceParams | None = None,
    ):
        import numpy as np

        self.p = params or AudienceParams()
        self.products = {x.id: x for x in products}
        self.texts = _TEXTS["zh" if language == "zh" else "en"]
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.interest = self.p.interest_start
        self.present: list[str] = []
        self.next_user = 1
        self.entries = self.exits = self.likes = self.orders = self.peak = 0
        self.comments = self.shares = self.followers = self.impressions = self.clicks = 0
        self.gmv = 0.0
        self.silence_s = 0.0
        self.current: str | None = next(iter(self.products), None)
        self.price_said: dict[str, float] = {}  # product → last time its price was said
        self.promotion_said: set[str] = set()
        self.last_cta = -1e9
        self.open: list[_Question] = []
        self.unanswered_at: list[float] = []
        self.pending_orders: list[tuple[float, str]] = []
        self.chat: list[ChatMessage] = []
        self.heard_until = 0.0
        for _ in range(self.p.start_viewers):
            self._arrive(greet=False)

    # -- what the anchor did ------------------------------------------------------------

    def hear(self, kind: str, t: float, product: str | None) -> None:
        """A cue (``livelab.Cue`` kind, time, product) found in the anchor's speech."""
        if product in self.products:
            self.current = product
        self.interest = min(1.0, self.interest + self.p.bump(kind))
        if kind in ("product", "price", "selling_point"):
            self.impressions += len(self.present) // 3  # the card pops up for some viewers
        if kind == "price":
            for pid in [product] if product in self.products else list(self.products):
                self.price_said[pid] = t
        elif kind == "promotion":
            self.promotion_said.update([product] if product in self.products else self.products)
        elif kind == "cta":
            self._call_to_action(t, product)
        for q in list(self.open):
            if (
                t > q.t
                and t - q.t <= self.p.answer_within_s
                and ANSWERED_BY[q.topic] == kind
                and (q.product is None or product is None or q.product == product)
            ):
                self.open.remove(q)
                self.interest = min(1.0, self.interest + self.p.bump("answer"))

    def heard(self, until: float) -> None:
        """Speech up to ``until`` has been understood: questions older than the answer
        window by then are unanswered (their askers leave, others grow restless)."""
        self.heard_until = max(self.heard_until, until)
        for q in [q for q in self.open if self.heard_until - q.t > self.p.answer_within_s]:
            self.open.remove(q)
            self.unanswered_at.append(q.t + self.p.answer_within_s)
            if q.user in self.present:
                self.present.remove(q.user)
                self.exits += 1

    def _call_to_action(self, t: float, product: str | None) -> None:
        self.last_cta = t
        pid = product if product in self.products else self.current
        n = len(self.present)
        clicks = int(self.rng.binomial(n, self.p.click_chance)) if n else 0
        self.clicks += clicks
        said = self.price_said.get(pid) if pid else None
        if pid is None or said is None or t - said > self.p.cta_after_price_s or not clicks:
            return  # no price yet: people look, nobody buys
        chance = min(1.0, self.p.buy_chance * self.interest / 0.5)
        for _ in range(int(self.rng.binomial(clicks, chance))):
            self.pending_orders.append((t + float(self.rng.uniform(*self.p.buy_delay_s)), pid))

    # -- time passing -------------------------------------------------------------------

    def step(self, t: float, silence_s: float) -> list[ChatMessage]:
        """Advance the room to ``t`` (seconds recorded); returns the new chat messages."""
        dt = max(0.0, t - self.t)
        self.t, self.silence_s = t, silence_s
        if dt == 0:
            return []
        p, rng = self.p, self.rng
        dead = silence_s >= p.dead_air_s
        if dead:
            self.interest = max(0.0, self.interest - p.dead_air_drain_per_s * dt)
        else:
            self.interest += (p.interest_rest - self.interest) * (
                1 - math.exp(-dt / p.interest_tau_s)
            )
        heat = self.interest / 0.5
        first = len(self.chat)

        for _ in range(int(rng.poisson(p.arrivals_per_s * heat * (0.3 if dead else 1.0) * dt))):
            self._arrive(greet=True)
        recent = sum(1 for u in self.unanswered_at if t - u <= p.unanswered_memory_s)
        rate = (1 / p.stay_s) / max(heat, 0.25) * (p.dead_air_leave if dead else 1.0)
        rate *= 1 + p.unanswered_leave * recent
        leaving = int(rng.binomial(len(self.present), 1 - math.exp(-rate * dt)))
        for _ in range(leaving):
            self.present.pop(int(rng.integers(len(self.present))))
        self.exits += leaving

        n = len(self.present)
        self.likes += int(rng.poisson(p.likes_per_viewer_s * heat * n * dt * (0.2 if dead else 1)))
        self.shares += int(rng.poisson(p.shares_per_viewer_s * heat * n * dt))
        self.followers += int(rng.binomial(n, min(1.0, p.follow_chance_per_s * self.interest * dt)))
        for _ in range(int(rng.poisson(p.comments_per_viewer_s * heat * n * dt))):
            self._say(self._someone(), "comment", None, None)
        for _ in range(int(rng.poisson(p.questions_per_viewer_s * heat * n * dt))):
            self._ask(t)
        due = [o for o in self.pending_orders if o[0] <= t]
        for o in due:
            self.pending_orders.remove(o)
            self.orders += 1
            self.gmv += self.products[o[1]].paid(o[1] in self.promotion_said)
        self.peak = max(self.peak, len(self.present))
        return self.chat[first:]

    def _arrive(self, greet: bool) -> None:
        user = f"viewer_{self.next_user:03d}"
        self.next_user += 1
        self.present.append(user)
        self.entries += 1
        if greet and self.rng.random() < self.p.greeting_chance:
            self._say(user, "greeting", None, None)

    def _someone(self) -> str:
        if not self.present:
            return f"viewer_{self.next_user:03d}"
        return self.present[int(self.rng.integers(len(self.present)))]

    def _ask(self, t: float) -> None:
        pid = self.current
        weights = {
            "price": 3.0 if pid is not None and pid not in self.price_said else 1.0,
            "size": 1.0,
            "shipping": 1.0,
            "link": 2.5 if self.price_said and t - self.last_cta > 60 else 0.5,
            "promotion": 1.5 if self.price_said else 0.5,
        }
        topics = list(weights)
        w = [weights[k] for k in topics]
        topic = topics[int(self.rng.choice(len(topics), p=[x / sum(w) for x in w]))]
        product = pid if topic in ("price", "size", "promotion") else None
        user = self._someone()
        self.open.append(_Question(t, user, topic, product))
        self._say(user, "question", topic, product)

    def _say(self, user: str, kind: str, topic: str | None, product: str | None) -> None:
        options = self.texts[topic or kind]
        text = options[int(self.rng.integers(len(options)))]
        name = (
            self.products[product].name
            if product in self.products
            else ("这个" if self.texts is _TEXTS["zh"] else "it")
        )
        self.comments += 1
        self.chat.append(
            ChatMessage(round(self.t, 2), user, kind, text.format(p=name), topic, product)
        )

    # -- what the student sees ----------------------------------------------------------

    def state(self) -> RoomState:
        return RoomState(
            t=self.t,
            viewers=len(self.present),
            peak_viewers=self.peak,
            entries=self.entries,
            exits=self.exits,
            likes=self.likes,
            orders=self.orders,
            gmv=round(self.gmv, 2),
            interest=round(self.interest, 3),
            silence_s=self.silence_s,
            open_questions=len(self.open),
            mood=self.mood(),
            warning=self.warns(),
        )

    def warns(self) -> bool:
        """The student should act now: dead air, or a question waiting 15 s or more."""
        return self.silence_s >= self.p.dead_air_s or any(self.t - q.t >= 15 for q in self.open)

    def mood(self) -> Message:
        """What the room feels like, as data: the live room shows it in the student's language."""
        if self.silence_s >= self.p.dead_air_s:
            return M("dead_air", "dead air {seconds:.0f} s: viewers are leaving",
                     seconds=self.silence_s)  # fmt: skip
        waiting = [q for q in self.open if self.t - q.t >= 15]
        if waiting:
            q = waiting[0]
            return M(
                "questions_waiting",
                "{count} question(s) waiting: {topic} (asked {seconds:.0f} s ago)",
                count=len(waiting),
                topic=M("topic", TOPIC_NAMES.get(q.topic, q.topic)),
                seconds=self.t - q.t,
            )
        if (
            self.price_said
            and self.t - max(self.price_said.values()) > 30
            and self.last_cta < max(self.price_said.values())
        ):
            return M("call_to_action_due", "price is out: now call to action (link / cart)")
        if self.interest >= 0.7:
            return M("room_warm", "the room is warm")
        if self.interest <= 0.2:
            return M("room_cooling", "the room is cooling: give them a reason to stay")
        return M("live", "live")
