"""Phrase lists shipped as data files (calls to action, guarantees, compliance words …).

Each file is ``phrases/<kind>_<language>.txt``: one phrase per line, ``#`` comments,
``[category]`` section headers, and ``!phrase`` for an allowed exception. Some lists give
sections a meaning: ``[unit]`` in ``size_*`` (only after a number), each topic in
``topics_*``, ``[start]``/``[anywhere]`` in ``questions_*``. A rubric or a user extends a
list through the analyzer's options, not by editing the package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "phrases"
# Coverage metrics; cues that answer viewers' questions; reading the chat (is a message a
# question, and about what).
KINDS = (
    "compliance",
    "cta",
    "guarantee",
    "usage",
    "promotion",
    "size",
    "shipping",
    "topics",
    "questions",
)


@dataclass(frozen=True, slots=True)
class PhraseList:
    terms: tuple[str, ...]
    exceptions: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (term, category)

    def category(self, term: str) -> str:
        return dict(self.categories).get(term, "")


def parse(text: str) -> PhraseList:
    terms: list[str] = []
    exceptions: list[str] = []
    categories: list[tuple[str, str]] = []
    category = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1].strip()
        elif line.startswith("!"):
            exceptions.append(line[1:].strip())
        else:
            terms.append(line)
            categories.append((line, category))
    return PhraseList(tuple(terms), tuple(exceptions), tuple(categories))


@lru_cache(maxsize=32)
def load(kind: str, language: str) -> PhraseList:
    path = FOLDER / f"{kind}_{language}.txt"
    if not path.is_file():
        path = FOLDER / f"{kind}_en.txt"
    return parse(path.read_text(encoding="utf-8"))


def digest() -> str:
    """Hash of every shipped list: part of the analyzer's cache key."""
    h = hashlib.sha256()
    for path in sorted(FOLDER.glob("*.txt")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
