"""The chat log's messages (``chat.jsonl``): what ``livelab record``'s audience writes and
what analyzers read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Chat message kinds the audience writes (a real platform's chat may have others).
CHAT_KINDS = ("greeting", "comment", "question")
#: Question topics; a question is answered by a cue of the kind in ``ANSWERED_BY``.
TOPICS = ("price", "size", "shipping", "link", "promotion")
ANSWERED_BY = {
    "price": "price",
    "size": "size",
    "shipping": "shipping",
    "link": "cta",
    "promotion": "promotion",
}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One line of ``chat.jsonl``. ``t`` is seconds from the start of the recording."""

    t: float
    user: str
    kind: str
    text: str
    topic: str | None = None
    product: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "t": round(self.t, 2),
            "user": self.user,
            "kind": self.kind,
            "text": self.text,
        }
        if self.topic:
            out["topic"] = self.topic
        if self.product:
            out["product"] = self.product
        return out
