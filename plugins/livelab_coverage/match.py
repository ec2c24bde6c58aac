"""Find phrases in a timed transcript despite recognition errors and paraphrase.

A phrase is reduced to its *keys*: its content words in English (fuzzy-compared with
rapidfuzz, so "steal" meets "steel" and "keeps" meets "keep"), its character pairs
in Mandarin (so word order may change: "24小时保冷" meets "保冷24小时"). A phrase is
heard where enough of its keys fall inside one short window of the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from livelab import Transcript
from livelab_coverage.normalize import CJK, MappedText, normalize, number_value, tokens
from livelab_coverage.phrases import PhraseList

# Words that carry no selling point; dropped from phrase keys, so "keeps your drinks
# cold" needs only keeps/drinks/cold. Negations and "free"/"all" stay: they change meaning.
EN_STOP = frozenset(
    """a an the is are was were be been am it its it's this that these those to of for and
    or with in on at by from your you you're i i'm we we're our my me he she they them their
    so just very really um uh er ah like well oh do does did can will would could should has
    have had as into up out about than then there here what which who how if but also too
    even still""".split()
)
# Characters that pad Mandarin speech without meaning: 的, 了, 很, 非常 …
ZH_STOP = frozenset("的了是很吗呢吧啊呀哦嗯呃额哈啦嘛也都就还又再这那个非常真特别超级")


@dataclass(frozen=True, slots=True)
class TimedToken:
    text: str
    start: float
    end: float
    origin: tuple[int, int]  # character range in the transcript's source text


@dataclass(frozen=True, slots=True)
class TimedText:
    """A transcript flattened to normalised tokens, each with its time and source span."""

    language: str
    source: str  # the transcript text as the recogniser wrote it
    tokens: tuple[TimedToken, ...]

    def quote(self, first: int, last: int) -> str:
        """The recogniser's own words for tokens ``first..last`` (inclusive)."""
        a = self.tokens[first].origin[0]
        b = self.tokens[last].origin[1]
        return re.sub(r"\s+", " ", self.source[a:b]).strip()

    @classmethod
    def from_transcript(cls, transcript: Transcript, language: str | None = None) -> TimedText:
        language = language or transcript.language
        chars: list[str] = []
        starts: list[float] = []
        ends: list[float] = []

        def add(text: str, t0: float, t1: float, spread: bool) -> None:
            n = max(len(text), 1)
            for i, ch in enumerate(text):
                if spread:  # no word times: interpolate across the segment
                    a = t0 + (t1 - t0) * i / n
                    b = t0 + (t1 - t0) * (i + 1) / n
                else:
                    a, b = t0, t1
                chars.append(ch)
                starts.append(a)
                ends.append(b)

        for seg in transcript.segments:
            if seg.words:
                for w in seg.words:
                    # Recognisers strip the spaces between words; put them back where the
                    # words would otherwise run together (not between Chinese characters).
                    head = w.text[:1]
                    if (
                        chars
                        and not chars[-1].isspace()
                        and (head.isalnum() or head in "$€£¥")
                        and (language != "zh" or (chars[-1].isascii() and head.isascii()))
                        # Mandarin numbers split into word pieces ("3" "16") are one number,
                        # and so are digits read one by one ("3" "-" "1" "-" "6" is 316).
                        and not (language == "zh" and chars[-1] in "0123456789-"
                                 and head.isdigit())
                    ):
                        add(" ", w.start, w.start, spread=False)
                    add(w.text, w.start, w.end, spread=False)
            else:
                add(seg.text, seg.start, seg.end, spread=True)
            add(" ", seg.end, seg.end, spread=False)
        source = "".join(chars)
        mapped = normalize(MappedText.of(source), language)
        timed = []
        for tok in tokens(mapped):
            a, b = tok.origin
            # A token's time is its source characters' time, ignoring boundary spaces.
            idx = [i for i in range(a, b) if not source[i].isspace()] or [a]
            timed.append(TimedToken(tok.text, starts[idx[0]], ends[idx[-1]], (a, b)))
        return cls(language, source, tuple(timed))


@dataclass(frozen=True, slots=True)
class Hit:
    """One place a phrase was heard: token range, time span and how well it matched."""

    phrase: str
    first: int
    last: int
    start_s: float
    end_s: float
    score: float


@dataclass(frozen=True, slots=True)
class Keys:
    """What must be heard for a phrase: ``words`` (English content words, or Mandarin
    characters) and, for Mandarin, ``pairs`` of adjacent characters of which at least one
    must be heard as said, so a window of scattered common characters is not a match."""

    words: tuple[str, ...]
    pairs: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def phrase_keys(phrase: str, language: str) -> Keys:
    toks = [t.text for t in tokens(normalize(phrase, language))]
    if language == "zh" and any(CJK.fullmatch(t) for t in toks):
        units = [t for t in toks if t not in ZH_STOP] or toks
        pairs = tuple(dict.fromkeys(a + b for a, b in zip(units, units[1:], strict=False)))
        return Keys(tuple(dict.fromkeys(units)), pairs)
    words = [t for t in toks if t not in EN_STOP]
    # "take it to", "use it": with one content word left the phrase would match any "take";
    # such phrases are matched whole.
    if len(words) < 2:
        words = toks
    return Keys(tuple(dict.fromkeys(words)))


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """How strict phrase matching is.

    Words are compared with rapidfuzz's ratio (0–100). A phrase is heard in a window when
    enough of its keys are there — ``min_share`` of them for phrases of four keys or more
    (a recogniser often drops one word of a long phrase), all of them for shorter ones —
    each at least ``weak_similarity`` alike, and on average ``mean_similarity``. So one
    misheard word passes ("leek proof lid": leek/leak is 75) but two do not.
    ``word_similarity`` is the bar for the one-key phrases (aliases like "AquaKeep"): 80
    accepts "keeps"/"keep" and "steel"/"steal", and refuses "cold"/"gold" (75).
    Numbers must always be heard exactly: "24" and "12" hours differ.
    """

    word_similarity: float = 80.0
    weak_similarity: float = 70.0
    mean_similarity: float = 85.0
    min_share: float = 0.75


#: Syllables a phrase needs before its homophones count: a card's own words, the lists.
CARD_HOMOPHONES = 2
LIST_HOMOPHONES = 3


class PhraseIndex:
    """Searches one timed transcript for many phrases."""

    def __init__(self, text: TimedText, options: MatchOptions | None = None):
        self.text = text
        self.options = options or MatchOptions()
        self.zh = text.language == "zh"
        self.unigrams = [t.text for t in text.tokens]
        # Each token joined with the next: "aqua keep" meets "aquakeep", and Mandarin
        # character pairs are looked up here.
        following = [*self.unigrams[1:], ""] if self.unigrams else []
        self.bigrams = [a + b for a, b in zip(self.unigrams, following, strict=True)]
        self._uni_vocab, self._uni_ids = _vocabulary(self.unigrams)
        self._bi_vocab, self._bi_ids = _vocabulary(self.bigrams)
        self._cache: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        # Toneless pinyin of the transcript, built when a phrase is first matched by sound.
        self._syllables: list[Syllable] | None = None
        self._syllable_token: list[int] = []
        self._syllable_at: dict[str, list[int]] = {}
        self._token_first_syllable: list[int] = []

    def _similarity(self, keys: tuple[str, ...], exact: bool) -> tuple[np.ndarray, np.ndarray]:
        """(keys × tokens) similarity 0–100 of each key to each token (alone, or joined with
        the next); and whether the joined form was the better one (so the quoted span must
        reach one token further)."""
        cache_key = (str(exact), *keys)
        if cache_key in self._cache:
            return self._cache[cache_key]
        if not self.unigrams:
            empty = np.zeros((len(keys), 0), dtype=np.uint8)
            return empty, empty.astype(bool)
        # Compare each key with the distinct tokens only, then spread by token id: an hour
        # of speech has ~10 000 tokens but a vocabulary of a few hundred.
        if exact:
            uni = np.stack([(self._uni_ids == self._uni_vocab.get(k, -1)) * 100 for k in keys])
            bi = np.stack([(self._bi_ids == self._bi_vocab.get(k, -1)) * 100 for k in keys])
            uni, bi = uni.astype(np.uint8), bi.astype(np.uint8)
        else:
            from rapidfuzz import fuzz, process

            uni = process.cdist(keys, list(self._uni_vocab), scorer=fuzz.ratio, dtype=np.uint8)
            bi = process.cdist(keys, list(self._bi_vocab), scorer=fuzz.ratio, dtype=np.uint8)
            uni, bi = uni[:, self._uni_ids], bi[:, self._bi_ids]
            numeric = np.array([k.replace(".", "").isdigit() for k in keys])[:, None]
            uni = np.where(numeric & (uni < 100), 0, uni).astype(np.uint8)
            bi = np.where(numeric & (bi < 100), 0, bi).astype(np.uint8)
        # A joined pair counts only when neither half is itself as good: otherwise
        # "the" + "aquakeep" would stretch every mention by a word.
        next_uni = np.zeros_like(uni)  # not np.pad: ten times its cost on a short chunk
        next_uni[:, :-1] = uni[:, 1:]
        use_bi = (bi > uni) & (bi > next_uni)
        result = (np.where(use_bi, bi, uni).astype(np.uint8), use_bi)
        self._cache[cache_key] = result
        return result

    def find(self, phrase: str, keys: Keys | None = None, homophones: int = 0) -> list[Hit]:
        """Every non-overlapping place ``phrase`` is heard, earliest first. With
        ``homophones`` (a number of syllables), in Mandarin that includes the places a
        phrase of at least that many syllables is said whole in characters that read the
        same (the recogniser's homophones: 宝温杯 for 保温杯, 包油 for 包邮). A product
        card's own words use 2 (``CARD_HOMOPHONES``); the generic phrase lists 3
        (``LIST_HOMOPHONES``), because a two-syllable homophone of a generic phrase is too
        often an everyday word (显示 reads like 限时, 下蛋 like 下单)."""
        hits = self._find_keys(phrase, keys)
        if not self.zh or not homophones:
            return hits
        sound = self._find_homophones(phrase, homophones)
        if not sound:
            return hits
        # Where both found the phrase, quote the union: the character match may start
        # inside the homophone (暖宝温杯 of 暖暖宝温杯).
        out: list[Hit] = []
        for h in sorted(hits + sound, key=lambda h: (h.first, -h.last)):
            if out and h.first <= out[-1].last:
                last = out[-1]
                if h.last > last.last:
                    out[-1] = Hit(last.phrase, last.first, h.last, last.start_s, h.end_s,
                                  max(last.score, h.score))
                continue
            out.append(h)
        return out

    def _find_homophones(self, phrase: str, min_syllables: int = 2) -> list[Hit]:
        """Places the whole phrase is said in a row, syllable by syllable alike in
        toneless pinyin, with at least one hanzi, starting and ending on whole tokens. A
        number reads as it is said (10 → shi, so 一盒食片 is 一盒10片). Contiguous and
        whole, because a homophone of a single scattered character is too easy to find
        by chance. One syllable may be alike only under a character's rarer reading (露
        is lu, and lou in 露面: 不露水 is 不漏水) when another character is the phrase's
        own: 元有 does not become 原味 through 有's classical reading wei."""
        needle = _phrase_reading(phrase)
        if len(needle) < min_syllables:
            return []
        if self._syllables is None:
            self._index_syllables()
        assert self._syllables is not None
        heard, owner, where = self._syllables, self._syllable_token, self._syllable_at
        starts = self._token_first_syllable
        tok = self.text.tokens
        n = len(heard)
        found: set[int] = set()
        for reading in needle[0].readings:
            found.update(where.get(reading, ()))
        out: list[Hit] = []
        for s in sorted(found):
            end = s + len(needle)  # one past the last syllable
            if end > n or starts[owner[s]] != s or (end < n and starts[owner[end]] != end):
                continue
            pairs = list(zip(heard[s:end], needle, strict=True))
            if not all(h.readings & w.readings for h, w in pairs):
                continue
            rare = sum(h.usual != w.usual for h, w in pairs)
            if rare > 1 or (rare and not any(h.char and h.char == w.char for h, w in pairs)):
                continue
            first, last = owner[s], owner[end - 1]
            out.append(Hit(phrase, first, last, tok[first].start, tok[last].end, 1.0))
        return _non_overlapping(out)

    def _index_syllables(self) -> None:
        """Each token's syllables, flattened, with the token each belongs to and, per
        reading, where it is heard."""
        heard: list[Syllable] = []
        owner: list[int] = []
        firsts: list[int] = []
        for i, token in enumerate(self.unigrams):
            firsts.append(len(heard))
            for syllable in syllables(token):
                heard.append(syllable)
                owner.append(i)
        where: dict[str, list[int]] = {}
        for at, syllable in enumerate(heard):
            for reading in syllable.readings:
                where.setdefault(reading, []).append(at)
        self._syllables, self._syllable_token = heard, owner
        self._syllable_at, self._token_first_syllable = where, firsts

    def _find_keys(self, phrase: str, keys: Keys | None = None) -> list[Hit]:
        keys = keys if keys is not None else phrase_keys(phrase, self.text.language)
        n = len(self.unigrams)
        k = len(keys.words)
        if not k or n == 0:
            return []
        opt = self.options
        exact = self.zh and all(_is_cjk_or_number(w) for w in keys.words)
        sim, joined = self._similarity(keys.words, exact)
        need = k if k <= 3 else max(1, int(np.ceil(opt.min_share * k - 1e-9)))
        # Short phrases leave no room for a misheard word: "you get" is not "get yours".
        bar = opt.word_similarity if k <= 2 else opt.weak_similarity
        if int((sim.max(axis=1) >= bar).sum()) < need:
            # Too few keys heard anywhere, so in no window either. Most phrases are not in a
            # few seconds of live speech: this keeps the live cue detector fast.
            return []
        # Window in tokens: room for the stop words and fillers between the keys.
        width = min(n, k + max(3, k) if not self.zh else 2 * k + 3)
        best_sim = _windowed_max(sim, width)  # keys × window starts
        heard = best_sim >= bar
        top = -np.sort(-best_sim.astype(np.float32), axis=0)[:need]  # the `need` best keys
        ok = (heard.sum(axis=0) >= need) & (top.mean(axis=0) >= opt.mean_similarity)
        numeric = np.array([w.replace(".", "").isdigit() for w in keys.words])
        if numeric.any():  # a phrase's number is the point of it: "30 hours" needs the 30
            ok &= heard[numeric].all(axis=0)
        if keys.pairs and k > 1:
            pair_sim, _ = self._similarity(keys.pairs, True)
            ok &= _windowed_max(pair_sim, width).max(axis=0) >= 100
        hits = sim >= bar
        found: list[Hit] = []
        tok = self.text.tokens
        start = 0
        while start < n:
            candidates = np.nonzero(ok[start:])[0]
            if candidates.size == 0:
                break
            s = start + int(candidates[0])
            # Of the windows that qualify from here, quote the fullest, then the tightest.
            best: tuple[int, int, int, int] | None = None
            for w in range(s, min(n, s + width)):
                if not ok[w]:
                    break
                window = hits[:, w : w + width]
                firsts = [w + int(np.argmax(row)) for row in window if row.any()]
                if len(firsts) < need:
                    continue
                first, last = min(firsts), max(firsts)
                rank = (-len(firsts), last - first)
                if best is None or rank < (-best[3], best[1] - best[0]):
                    best = (first, last, w, len(firsts))
            if best is None:
                start = s + 1
                continue
            first, last, w, count = best
            # Reach one token further only when the key heard last was heard joined with
            # the next token ("aqua" + "keep"), not when another key is: "before the deal
            # ends" must not swallow the "Thanks" after it.
            window = hits[:, w : w + width]
            at_last = [r for r, row in enumerate(window) if row.any()
                       and w + int(np.argmax(row)) == last]  # fmt: skip
            if any(joined[r, last] for r in at_last):
                last = min(n - 1, last + 1)
            found.append(Hit(phrase, first, last, tok[first].start, tok[last].end, count / k))
            start = last + 1
        return found

    def find_any(self, phrases: Iterable[str], homophones: int = 0) -> list[Hit]:
        """Hits of any of ``phrases``, merged where they overlap, earliest first."""
        all_hits = sorted(
            (h for p in phrases for h in self.find(p, homophones=homophones)),
            key=lambda h: (h.first, -h.last),
        )
        merged: list[Hit] = []
        for h in all_hits:
            if merged and h.first <= merged[-1].last:
                if h.last > merged[-1].last:
                    m = merged[-1]
                    merged[-1] = Hit(
                        m.phrase, m.first, h.last, m.start_s, h.end_s, max(m.score, h.score)
                    )
                continue
            merged.append(h)
        return merged


class Syllable(NamedTuple):
    """One spoken syllable: its usual toneless reading, every reading it may have, and
    the hanzi it is written with ("" for a digit's or a Latin word's)."""

    usual: str
    readings: frozenset[str]
    char: str


@lru_cache(maxsize=65536)
def syllables(token: str) -> tuple[Syllable, ...]:
    """A token's syllables in toneless pinyin: a hanzi's (``pypinyin``: 保 and 宝 are both
    ``bao``; 露 is usually ``lu``, also ``lou``); a number's as it is said in Mandarin
    (``24`` → ``er``, ``shi``, ``si``); anything else (a Latin word) as it is."""
    if CJK.fullmatch(token):
        from pypinyin import Style, pinyin  # only Mandarin sessions load its dictionaries

        readings = pinyin(token, style=Style.NORMAL, heteronym=True)[0]
        return (Syllable(readings[0], frozenset(readings), token),)
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        from livelab import read_zh_number

        said = (s for c in read_zh_number(token) for s in syllables(c))
        return tuple(Syllable(s.usual, s.readings, "") for s in said)
    return (Syllable(token, frozenset({token}), ""),)


@lru_cache(maxsize=8192)
def _phrase_reading(phrase: str) -> tuple[Syllable, ...]:
    """The syllables of a Mandarin phrase of two tokens or more with a hanzi among them;
    else none (never matched by sound)."""
    toks = [t.text for t in tokens(normalize(phrase, "zh"))]
    if len(toks) < 2 or not any(CJK.fullmatch(t) for t in toks):
        return ()
    return tuple(s for t in toks for s in syllables(t))


def _non_overlapping(hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.first, -h.last)):
        if not out or h.first > out[-1].last:
            out.append(h)
    return out


def _vocabulary(words: list[str]) -> tuple[dict[str, int], np.ndarray]:
    vocab: dict[str, int] = {}
    ids = np.array([vocab.setdefault(w, len(vocab)) for w in words], dtype=np.int64)
    return vocab, ids


def _windowed_max(values: np.ndarray, width: int) -> np.ndarray:
    """keys × starts: each key's best value in the window of ``width`` tokens from here."""
    n = values.shape[1]
    padded = np.pad(values, ((0, 0), (0, width - 1)))
    return np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)[:, :n, :].max(axis=2)


def _is_cjk_or_number(key: str) -> bool:
    return all(CJK.fullmatch(c) or c.isdigit() or c == "." for c in key) or key == "%"


def exact_terms(text: TimedText, terms: Iterable[str], exceptions: Iterable[str] = ()) -> list[Hit]:
    """Places a listed term is said word for word (after normalisation) — for compliance,
    where a fuzzy match would accuse the anchor of words they did not say."""
    toks = [t.text for t in text.tokens]
    zh = text.language == "zh"
    sep = "" if zh else " "
    # Offsets of each token in a joined string, so a term can be found by substring.
    joined_parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for t in toks:
        offsets.append(pos)
        joined_parts.append(t)
        pos += len(t) + len(sep)
    joined = sep.join(joined_parts)
    starts = np.array(offsets)

    def spans(term: str) -> list[tuple[int, int]]:
        norm = _term_form(term, text.language)
        if not norm:
            return []
        pattern = re.escape(norm) if zh else rf"(?<![^\s]){re.escape(norm)}(?![^\s])"
        out = []
        for m in re.finditer(pattern, joined):
            first = int(np.searchsorted(starts, m.start(), side="right") - 1)
            last = int(np.searchsorted(starts, m.end() - 1, side="right") - 1)
            out.append((first, last))
        return out

    excluded = {s for e in exceptions for s in _covered(spans(e))}
    candidates = sorted(
        (
            (first, last, term)
            for term in terms
            for first, last in spans(term)
            if first not in excluded
        ),
        key=lambda c: (c[0], -c[1]),
    )
    found: list[Hit] = []
    tk = text.tokens
    for first, last, term in candidates:
        # "the best in the world" also contains "best in the world": one flag, the longest.
        if found and first <= found[-1].last:
            continue
        found.append(Hit(term, first, last, tk[first].start, tk[last].end, 1.0))
    return found


def keyword_hits(text: TimedText, listed: PhraseList) -> list[Hit]:
    """Places a listed keyword is said word for word; a term in the ``[unit]`` section
    counts only right after a number ("750 ml", "25厘米"), so "米" is not heard in "大米"."""
    units = {t for t, c in listed.categories if c == "unit"}
    plain = [t for t in listed.terms if t not in units]
    hits = exact_terms(text, plain, listed.exceptions)
    toks = text.tokens
    for h in exact_terms(text, sorted(units), listed.exceptions):
        if h.first > 0 and number_value(toks[h.first - 1].text) is not None:
            hits.append(h)
    return sorted(hits, key=lambda h: (h.first, -h.last))


@lru_cache(maxsize=8192)
def _term_form(term: str, language: str) -> str:
    """A listed term as its normalised tokens, joined as :func:`exact_terms` joins the text's."""
    sep = "" if language == "zh" else " "
    return sep.join(tk.text for tk in tokens(normalize(term, language)))


def _covered(spans: list[tuple[int, int]]) -> set[int]:
    return {i for a, b in spans for i in range(a, b + 1)}
