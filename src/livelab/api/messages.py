"""Messages as data: what a plugin says, as a kind, an English template and parameters,
so that every view renders it in the reader's language.

    M = Messages("livelab_pace")        # the plugin's gettext domain
    M("dead_air", "dead air ({seconds:.1f} s)", seconds=4.2)

The template is the English text and the msgid of the plugin's catalog; a translation
uses the same ``{fields}``. ``{t:clock}`` shows seconds as ``mm:ss``. A parameter may
itself be a :class:`Message` (a word that needs translating, such as "promotion").
Parameters are plain JSON values, so a scorecard read back renders the same.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The gettext domain of livelab's own messages.
CORE_DOMAIN = "livelab"


def clock(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour): how every time in a session is shown."""
    whole = max(0, int(round(seconds)))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def seconds_of(value: Any) -> float | None:
    """A time in the recording as a person writes it — ``83``, ``83.5``, ``"01:23"``,
    ``"01:23.5"``, ``"1:01:23"`` — in seconds; ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and 0 <= value < float("inf") else None
    if not isinstance(value, str):
        return None
    try:
        numbers = [float(p) for p in value.strip().split(":")]
    except ValueError:
        return None
    if (not 1 <= len(numbers) <= 3 or any(not 0 <= n < float("inf") for n in numbers)
            or any(n >= 60 for n in numbers[1:])):
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "clock" and isinstance(value, int | float):
            return clock(float(value))
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


@dataclass(frozen=True, slots=True)
class Message:
    """One thing said to the user. ``str(message)`` is the English text."""

    kind: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    domain: str = CORE_DOMAIN

    def render(self, translate: Callable[[str, str], str] | None = None) -> str:
        """The text, with ``translate(domain, template)`` giving the template to use
        (none: English). A translation whose fields do not fit falls back to English."""
        params = {
            k: v.render(translate) if isinstance(v, Message) else v
            for k, v in self.params.items()
        }
        template = translate(self.domain, self.template) if translate else self.template
        try:
            return _FORMATTER.format(template, **params)
        except (KeyError, IndexError, ValueError):
            if template == self.template:
                raise
            return _FORMATTER.format(self.template, **params)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "template": self.template,
            "params": {
                k: v.to_dict() if isinstance(v, Message) else v for k, v in self.params.items()
            },
            "domain": self.domain,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        params = {
            k: cls.from_dict(v) if isinstance(v, Mapping) and "template" in v else v
            for k, v in dict(data.get("params") or {}).items()
        }
        return cls(
            str(data["kind"]), str(data["template"]), params,
            str(data.get("domain") or CORE_DOMAIN),
        )  # fmt: skip


class Messages:
    """A plugin's message factory: ``M = Messages("my_plugin")`` then
    ``M(kind, template, **params)``. The domain names the plugin's catalog,
    ``<package>/locale/<lang>/LC_MESSAGES/<domain>.mo``."""

    def __init__(self, domain: str) -> None:
        if not domain.isidentifier():
            raise ValueError(f"a message domain is a package name, not {domain!r}")
        self.domain = domain

    def __call__(self, kind: str, template: str, /, **params: Any) -> Message:
        message = Message(kind, template, params, self.domain)
        message.render()  # a template that does not fit its parameters fails here, in the plugin
        return message


def N_(text: str) -> str:
    """Marks a plugin's declared words (a metric's, chart's or analyzer's ``title``, a
    highlight's label) for its catalog; views translate them in the plugin's domain."""
    return text
