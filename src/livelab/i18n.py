"""The interface language: choosing it, and saying things in it.

The rule (README, "Language"): ``--lang`` if given, else ``$LIVELAB_LANG``, else the system
locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh_CN.UTF-8`` means Chinese,
``C`` and ``POSIX`` say nothing), else, for a report on one session, the session's
language, else English.

Catalogs are gettext ``.mo`` files compiled from the ``.po`` files in the repository when
the package is built (``hatch_build.py``; ``make messages`` after editing one):
``<package>/locale/<locale>/LC_MESSAGES/<domain>.mo``, where the domain is ``livelab`` or a
plugin's package name. A key a catalog lacks falls back to English and is logged once.
"""

from __future__ import annotations

import gettext as _gettext
import importlib.util
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from livelab.api.messages import CORE_DOMAIN, Message, Messages

log = logging.getLogger(__name__)

#: code → (gettext locale folder, the language's own name)
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("en", "English"), "zh": ("zh_CN", "简体中文")}
DEFAULT = "en"

_active = DEFAULT
_source = "default"


class UnknownLanguage(ValueError):
    """A language livelab has no interface for; the message lists the choices."""


def parse(value: str, where: str) -> str:
    """``zh``/``en`` (also ``zh-CN``, ``zh_CN``, ``EN``) or an error listing the choices."""
    code = value.strip().lower().replace("_", "-")
    base = code.split("-")[0]
    if base in LANGUAGES:
        return base
    choices = ", ".join(f"{k} ({v[1]})" for k, v in LANGUAGES.items())
    raise UnknownLanguage(f"{where}: unknown language {value!r}; choose one of {choices}")


def from_locale(environ: Mapping[str, str]) -> str | None:
    """The language the system locale asks for, or None when it says nothing usable."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if not value:
            continue
        first = value.split(":")[0].split(".")[0].split("@")[0]
        if first in ("C", "POSIX", ""):
            return None  # the locale says "no language": not English either
        base = first.lower().replace("_", "-").split("-")[0]
        return base if base in LANGUAGES else DEFAULT
    return None


def choose(
    flag: str | None = None,
    environ: Mapping[str, str] | None = None,
    session_language: str | None = None,
) -> tuple[str, str]:
    """(language, where the choice came from) by the rule in the module docstring."""
    env = os.environ if environ is None else environ
    if flag:
        return parse(flag, "--lang"), "--lang"
    if env.get("LIVELAB_LANG", "").strip():
        return parse(env["LIVELAB_LANG"], "LIVELAB_LANG"), "LIVELAB_LANG"
    if (found := from_locale(env)) is not None:
        return found, "locale"
    if session_language:
        base = session_language.lower().split("-")[0]
        if base in LANGUAGES:
            return base, "session"
    return DEFAULT, "default"


def activate(language: str, source: str = "program") -> None:
    global _active, _source
    _active, _source = parse(language, "language"), source


def use(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Activate the language the rule picks without a session; return it."""
    language, source = choose(flag, environ)
    activate(language, source)
    return language


def follow_session(session_language: str | None) -> str:
    """For a report on one session: its language, when nothing else chose one."""
    if _source == "default" and session_language:
        base = session_language.lower().split("-")[0]
        if base in LANGUAGES:
            activate(base, "session")
    return _active


def current() -> str:
    return _active


@contextmanager
def for_session(session_language: str | None) -> Iterator[str]:
    """While rendering one session's report: its language when nothing else chose one
    (as :func:`follow_session`), then the language before."""
    before = (_active, _source)
    try:
        yield follow_session(session_language)
    finally:
        activate(*before)


def source() -> str:
    """Where the active language came from: ``--lang``, ``LIVELAB_LANG``, ``locale``,
    ``session``, ``default``, or what the program that activated it said."""
    return _source


#: Domains whose catalogs livelab ships itself: its own, and click's words ("Usage:").
OWN_DOMAINS = (CORE_DOMAIN, "click")


def _catalog_dir(domain: str) -> Path | None:
    """``<package>/locale`` of the package named ``domain``, found without importing it."""
    if domain in OWN_DOMAINS:
        return Path(__file__).parent / "locale"
    try:
        spec = importlib.util.find_spec(domain)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "locale"


@cache
def catalog(domain: str, language: str) -> _gettext.NullTranslations | None:
    """The compiled catalog of ``domain`` in ``language``; None for English or when there is
    none (logged once)."""
    if language == DEFAULT or not domain.isidentifier():
        return None
    folder = _catalog_dir(domain)
    locale_name = LANGUAGES[language][0]
    if folder is None:
        return None
    try:
        return _gettext.translation(domain, str(folder), languages=[locale_name])
    except OSError:
        log.info("no %s catalog for %s in %s: English is shown", language, domain, folder)
        return None


_missing: set[tuple[str, str, str]] = set()
_FIELDS = re.compile(r"\{[^}]*\}|%\([a-z_]+\)s")


def translate(domain: str, text: str, language: str | None = None, quiet: bool = False) -> str:
    """``text`` (an English msgid of ``domain``) in ``language`` (default: the active one);
    a missing key is logged once, unless ``quiet``."""
    language = language or _active
    found = catalog(domain, language)
    if found is None:
        return text
    out = found.gettext(text)
    known = getattr(found, "_catalog", {})
    if quiet:
        return out
    if text and text not in known and (domain, language, text) not in _missing:
        _missing.add((domain, language, text))
        log.warning("catalog %s (%s) has no translation for %r: English is shown",
                    domain, language, text)  # fmt: skip
    return out


def translate_plural(domain: str, one: str, many: str, n: int) -> str:
    english = one if n == 1 else many
    found = catalog(domain, _active)
    if found is None:
        return english
    said = found.ngettext(one, many, n)
    # One Chinese form serves both English ones; it may only use the chosen one's fields.
    return said if set(_FIELDS.findall(said)) <= set(_FIELDS.findall(english)) else english


def _(text: str) -> str:
    """livelab's own strings."""
    return translate(CORE_DOMAIN, text)


def N_(text: str) -> str:
    """Marks a string for the catalog without translating it yet."""
    return text


def say(message: str | Message | Any, language: str | None = None) -> str:
    """A message in the reader's language; plain text (user data, old scorecards) as it is."""
    if isinstance(message, Message):
        lang = language or _active
        return message.render(lambda domain, text: translate(domain, text, lang))
    return str(message)


def said(record: Any, text_key: str = "message", data_key: str | None = None) -> str:
    """What a scorecard record (a typed one or its JSON dict) says, in the reader's
    language: evidence's ``message`` (its data beside it: ``kind``, ``template``, …), or a
    ``reason`` with its ``reason_message``. Plain text, as it is; nothing, as ``""``."""
    if isinstance(record, Mapping):
        data = record.get(data_key) if data_key else record
        if isinstance(data, Mapping) and "template" in data:
            try:
                return say(Message.from_dict(data))
            except (KeyError, TypeError, ValueError):
                pass  # a hand-edited message: its English text below
        value = record.get(text_key)
    else:
        value = getattr(record, text_key, None)
    return "" if value is None else say(value)


M = Messages(CORE_DOMAIN)


def problem_text(problem: Any) -> str:
    """A :class:`~livelab.api.errors.Problem` in the reader's language: ``file: key: what``."""
    where = f"{problem.file}: {say(problem.key)}" if problem.key else f"{problem.file}"
    return f"{where}: {say(problem.message)}"


def error_text(exc: Any) -> str:
    """A :class:`~livelab.LivelabError`'s problems, one per line, in the reader's language."""
    return "\n".join(problem_text(p) for p in exc.problems)


def problems_message(problems: Any) -> Message | str:
    """Problems as a reason a scorecard keeps as data: one problem as a message (its words
    translatable later), several as their text in the reader's language."""
    if len(problems) != 1:
        return "\n".join(problem_text(p) for p in problems)
    p = problems[0]
    if p.key:
        return M("problem_at", "{file}: {key}: {problem}", file=str(p.file), key=p.key,
                 problem=p.message)
    return M("problem", "{file}: {problem}", file=str(p.file), problem=p.message)


def domain_of(thing: Any) -> str:
    """The gettext domain of what a plugin defines (an analyzer, a reporter): its top-level
    package's name, as ``Messages(__package__)`` names it."""
    return type(thing).__module__.partition(".")[0]


def declared(scorecard: Any, analyzer: str, text: str) -> str:
    """What ``analyzer`` declared (a metric's, chart's or its own title, a highlight's
    label) in the reader's language, from its package's catalog; as it is when the
    scorecard names no domain for it or the catalog lacks it (a title made from numbers,
    "Orders per minute", is not a key). ``scorecard``: a typed one or its JSON dict."""
    analyzers = (scorecard.get("analyzers") if isinstance(scorecard, Mapping)
                 else getattr(scorecard, "analyzers", None))  # fmt: skip
    entry = analyzers.get(analyzer) if isinstance(analyzers, Mapping) else None
    domain = entry.get("domain") if isinstance(entry, Mapping) else getattr(entry, "domain", "")
    if not text or not domain or not str(domain).isidentifier():
        return text
    return translate(str(domain), text, quiet=True)


#: Outcomes of a criterion, as every view names them.
OUTCOMES = {"pass": N_("pass"), "partial": N_("partial"), "fail": N_("fail"),
            "unscored": N_("unscored")}  # fmt: skip


def outcome_text(outcome: str) -> str:
    return _(OUTCOMES[outcome]) if outcome in OUTCOMES else outcome


def date_text(moment: str) -> str:
    """An ISO date and time as the reader writes it, to the minute, in local time (a time
    with no zone is shown as it is): ``2026-12-01 20:00``, ``2026年12月1日 20:00``; text
    that is not a date, unchanged."""
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    if when.tzinfo is not None:
        when = when.astimezone()
    if _active == "zh":
        return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"
    return f"{when:%Y-%m-%d %H:%M}"


#: The team roles as the field names them (rubric ``role:`` values).
ROLE_NAMES = {
    "anchor": N_("anchor"),
    "assistant": N_("assistant"),
    "operations": N_("operations"),
    "selection": N_("selection"),
    "traffic": N_("traffic"),
    "team": N_("whole team"),
}


def role_text(role: str) -> str:
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def pick_title(title: str, language: str | None = None) -> str:
    """One language of a bilingual title, "语速 / Speaking pace": the Chinese side in
    Chinese, the other in English; a title in one language as it is."""
    left, sep, right = title.partition(" / ")
    if not sep or _has_cjk(left) == _has_cjk(right):
        return title
    zh, en = (left, right) if _has_cjk(left) else (right, left)
    return zh if (language or _active) == "zh" else en


#: The metrics' units as Chinese writes them after a number (English shows the unit as
#: declared). "currency" says no currency: the ops export does not name one, so it is not 元.
_ZH_UNITS = {
    "s": "秒",
    "wpm": "词/分钟",
    "cpm": "字/分钟",
    "silences": "次",
    "repeats": "次",
    "per_100": "次/百字",
    "viewers": "人",
    "orders": "单",
    "share of width": "画面宽度占比",
    "share of height": "画面高度占比",
    "views": "次",
    "per viewer": "次/人",
    "per 10 min": "次/10分钟",
    "banned claims": "处",
    "currency": "（货币）",
    "currency per order": "（货币）/单",
    "currency per viewer": "（货币）/人",
    "currency per 1000 views": "（货币）/千次观看",
}


def unit_text(unit: str, language: str | None = None) -> str:
    """How ``unit`` is written after a number in the language; unchanged when not known."""
    if (language or _active) == "zh":
        return _ZH_UNITS.get(unit, unit)
    return unit
