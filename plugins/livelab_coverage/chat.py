"""Read a session's chat log (``chat.jsonl``) and tell which messages are questions, and
what about.

The format (public; ``livelab record``'s audience writes it, real exports are converted to
it): UTF-8, one JSON object per line, blank lines ignored::

    {"t": 42.5, "user": "viewer_031", "kind": "question", "text": "How much is it?",
     "topic": "price", "product": "aquakeep-bottle"}

``t`` (seconds from the start of the recording, a number ≥ 0) and ``text`` (a string) are
required; ``user``, ``kind`` (``greeting`` | ``comment`` | ``question``; other kinds are
kept but are not questions), ``topic`` (one of :data:`livelab.TOPICS`) and
``product`` (a product id) are optional; other keys are ignored. A line without ``kind`` is
a question when its text ends with ``?``/``？`` or starts with or contains a question word
(``phrases/questions_*.txt``). A question without ``topic`` gets one from the keyword lists
in ``phrases/topics_*.txt``, or none.

The size cap, the NUL check and the problem list follow the ops reader
(``livelab_ops/table.py``); its helpers are private to that plugin and count rows and
columns of a CSV, so they are not imported here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from livelab import (
    TOPICS,
    ChatMessage,
    LivelabError,
    Message,
    Messages,
    Problem,
    Segment,
    Transcript,
    printable,
)
from livelab_coverage import phrases
from livelab_coverage.match import TimedText, keyword_hits
from livelab_coverage.normalize import CJK

M = Messages("livelab_coverage")

#: Larger files are refused before reading: a day of a busy room's chat is a few MiB.
MAX_CHAT_BYTES = 64 * 2**20
#: Stop listing after this many problems: the first few show what is wrong with the file.
MAX_PROBLEMS = 20
#: What one viewer can type: live rooms cap a message at a few hundred characters. Longer
#: lines are refused, so a 50 MB line cannot make matching take hours (it once took 600 s
#: and 15.5 GB).
MAX_MESSAGE_CHARS = 1000
MAX_LINE_BYTES = 64 * 2**10
_QUESTION_MARKS = ("?", "？")


def read_chat(path: Path | str) -> list[ChatMessage]:
    """Every message of a ``chat.jsonl`` file, in time order (stable for equal times).

    A message without ``kind`` is given ``question`` or ``comment`` (see
    :func:`looks_like_question`); without ``user``, the empty string. Raises
    :class:`livelab.LivelabError` naming the file, the line and the key of each problem
    (the first :data:`MAX_PROBLEMS`, and how many more).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CHAT_BYTES:
            raise LivelabError(
                [
                    Problem(
                        path,
                        M("chat_too_big", "is {size} MiB; a chat log may be at most {most} MiB",
                          size=f"{size / 2**20:,.0f}", most=MAX_CHAT_BYTES // 2**20),
                    )
                ]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LivelabError([Problem(path, M("chat_unreadable", "cannot be read: {error}",
                                            error=exc.strerror or str(exc)))]) from exc
    if b"\x00" in data:
        raise LivelabError([Problem(path, M("chat_nul", "contains NUL bytes: not a text chat "
                                            "log"))])
    if data.startswith(b"\xef\xbb\xbf"):  # a BOM, as Windows editors write UTF-8
        data = data[3:]
    problems: list[Problem] = []
    more = 0
    messages: list[ChatMessage] = []
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        found: list[Problem] = []
        message = _message(path, number, raw, found)
        if found:
            room = MAX_PROBLEMS - len(problems)
            problems += found[:room]
            more += len(found[room:])
        elif message is not None:
            messages.append(message)
    if problems:
        if more:
            problems.append(Problem(path, M("more_problems", "… and {n} more problems", n=more)))
        raise LivelabError(problems)
    messages.sort(key=lambda m: m.t)
    return messages


def _finite(t: float) -> bool:
    """A number of seconds a float can hold (a 400-digit integer cannot)."""
    try:
        return math.isfinite(t) and abs(t) < 1e12
    except OverflowError:
        return False


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _message(path: Path, number: int, raw: bytes, found: list[Problem]) -> ChatMessage | None:
    def bad(key: str, message: Message) -> None:
        where = (M("at_key", "line {n}, key {key}", n=number, key=repr(key)) if key
                 else M("at_line", "line {n}", n=number))  # fmt: skip
        found.append(Problem(path, message, where))

    if len(raw) > MAX_LINE_BYTES:
        bad("", M("line_too_long", "is {size} bytes long; a chat line may be at most {most} KiB",
                  size=f"{len(raw):,}", most=MAX_LINE_BYTES // 2**10))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad("", M("not_utf8", "is not UTF-8 text (byte {n} of the line)", n=exc.start + 1))
        return None
    try:
        item = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        bad("", M("not_json", "is not valid JSON: {error}", error=str(exc)))
        return None
    if not isinstance(item, dict):
        bad("", M("not_object", 'must be a JSON object ({{"t": …, "text": …}}), not {kind}',
                  kind=_kind(item)))
        return None
    t = item.get("t")
    if "t" not in item:
        bad("t", M("no_t", "missing (seconds from the start of the recording)"))
    elif isinstance(t, bool) or not isinstance(t, int | float) or not _finite(t):
        bad("t", M("bad_t", "must be a number of seconds, not {kind} ({value})", kind=_kind(t),
                   value=_show(t)))
    elif t < 0:
        bad("t", M("negative_t", "must not be negative ({value})", value=_show(t)))
    body = item.get("text")
    if "text" not in item:
        bad("text", M("no_text", "missing (what the viewer wrote)"))
    elif not isinstance(body, str):
        bad("text", M("not_string", "must be a string, not {kind}", kind=_kind(body)))
    elif len(body) > MAX_MESSAGE_CHARS:
        bad("text", M("text_too_long", "is {n} characters long; a chat message may be at most "
                      "{most}", n=f"{len(body):,}", most=f"{MAX_MESSAGE_CHARS:,}"))
    for key in ("user", "kind", "product"):
        if item.get(key) is not None and not isinstance(item[key], str):
            bad(key, M("not_string", "must be a string, not {kind}", kind=_kind(item[key])))
    topic = item.get("topic")
    if topic is not None and topic not in TOPICS:
        bad("topic", M("bad_topic", "{value} is not a topic (known: {known})", value=_show(topic),
                       known=", ".join(TOPICS)))
    if found:
        return None
    assert isinstance(t, int | float) and isinstance(body, str)
    kind = item.get("kind") or ("question" if looks_like_question(body) else "comment")
    # What a viewer typed is shown on terminals: no control sequences reach them.
    return ChatMessage(
        float(t), printable(str(item.get("user") or "")), kind, printable(body), topic or None,
        item.get("product") or None,
    )


#: JSON's kinds of value, as the messages name them.
_KINDS: dict[type, Message] = {
    dict: M("type", "an object"), list: M("type", "a list"), bool: M("type", "true/false"),
    int: M("type", "a number"), float: M("type", "a number"), str: M("type", "a string"),
    type(None): M("type", "null"),
}  # fmt: skip


def _kind(value: Any) -> Message | str:
    return _KINDS.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def language_of(text: str) -> str:
    """``zh`` when the message has Chinese characters, else ``en``."""
    return "zh" if CJK.search(text) else "en"


def timed_text(text: str, language: str | None = None) -> TimedText:
    """A chat message as the matcher's normalised tokens (times are meaningless: 0)."""
    language = language or language_of(text)
    segment = Segment(0.0, 0.0, text)
    return TimedText.from_transcript(Transcript(language, "chat", 0.0, (segment,)), language)


def _lists(kind: str, language: str) -> list[phrases.PhraseList]:
    # A Mandarin message may still say "link": check the English list too.
    return [phrases.load(kind, "en")] + ([phrases.load(kind, "zh")] if language == "zh" else [])


def looks_like_question(text: str) -> bool:
    """A message is a question when it ends with ``?``/``？``, starts with a word of a
    ``[start]`` section or contains a phrase of an ``[anywhere]`` section of
    ``phrases/questions_*.txt``."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith(_QUESTION_MARKS):
        return True
    language = language_of(stripped)
    words = timed_text(stripped, language)
    if not words.tokens:
        return False
    for listed in _lists("questions", language):
        starts = {t for t, c in listed.categories if c == "start"}
        if words.tokens[0].text in starts:
            return True
        anywhere = phrases.PhraseList(
            tuple(t for t, c in listed.categories if c == "anywhere"), listed.exceptions
        )
        if keyword_hits(words, anywhere):
            return True
    return False


def topic_of(text: str) -> str | None:
    """The topic a question asks about, from ``phrases/topics_*.txt``: a topic other than
    price first ("how much is shipping?" asks about shipping), then the earliest keyword;
    ``None`` when no keyword is there."""
    language = language_of(text)
    words = timed_text(text, language)
    best: tuple[bool, int, int, str] | None = None
    for listed in _lists("topics", language):
        for hit in keyword_hits(words, listed):
            topic = listed.category(hit.phrase)
            if topic not in TOPICS:
                continue
            rank = (topic == "price", hit.first, TOPICS.index(topic), topic)
            if best is None or rank < best:
                best = rank
    return best[3] if best else None
