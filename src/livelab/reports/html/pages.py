"""The one HTML stack: a Jinja2 environment over this package's templates, autoescape on.

Every page extends ``templates/base.html.j2`` (doctype, ``lang``, the inline stylesheet).
Its words are ``_("…")`` calls, translated from livelab's catalog when the page is rendered
(``jinja2.ext.i18n``; ``make catalogs`` extracts them with Babel's Jinja2 extractor).
Anything a student, a product card or a plugin wrote reaches a page through a template
expression, which Jinja escapes; only the SVG charts (:mod:`.charts`, which escape their own
text) come in as :class:`markupsafe.Markup`.

Scorecards reach the views as dicts (JSON files) or as typed objects; :func:`get` reads a
field from either, and the templates use attribute access (``sc.session.title``), which
Jinja resolves on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from livelab.api.analysis import clock
from livelab.reports.html.charts import num


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` of a mapping or ``obj.key`` of an object; ``default`` when absent or None."""
    if obj is None:
        return default
    value = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return default if value is None else value


def asset(name: str) -> str:
    """The text of one of this package's assets (``assets/report.css``)."""
    return files("livelab.reports.html").joinpath("assets", name).read_text(encoding="utf-8")


def fmt_value(value: float | None, unit: object = "") -> str:
    from livelab.builtin.reporters import format_value

    return format_value(None if value is None else float(value), str(unit or ""))


def span_text(start: float | None, end: float | None) -> str:
    """``mm:ss–mm:ss`` of a span, one time for an instant, ``—`` for no time."""
    if start is None:
        return "—"
    if end is None or clock(end) == clock(start):
        return clock(start)
    return f"{clock(start)}–{clock(end)}"


def html_lang(language: object) -> str:
    """The page's ``lang`` for a session language: ``zh`` is shown as ``zh-CN``."""
    code = str(language or "en")
    return {"zh": "zh-CN"}.get(code, code)


def _blank_none(value: Any) -> Any:
    """A missing value (``None``) prints as nothing, not as "None"."""
    return "" if value is None else value


@cache
def environment() -> Environment:
    from livelab import i18n

    env = Environment(
        extensions=["jinja2.ext.i18n"],
        loader=PackageLoader("livelab.reports.html", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=ChainableUndefined,  # a field an older scorecard lacks shows empty
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_blank_none,
    )
    env.filters.update(clock=clock, num=num, value=fmt_value, span=span_text, when=i18n.date_text,
                       pick=i18n.pick_title)
    env.globals.update(asset=asset, outcome_text=i18n.outcome_text)
    # ``_("… %(n)s …", n=…)`` in the templates: livelab's catalog, in the language active
    # when the page is rendered (new-style gettext: the fields are filled in after).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n._,
        ngettext=lambda one, many, n: i18n._(one if n == 1 else many),
        newstyle=True,
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
