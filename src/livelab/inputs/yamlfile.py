"""Data-only YAML for rubrics, product cards and mappings: no tags, no aliases, bounded size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from livelab.api.errors import LivelabError, Problem
from livelab.i18n import _

MAX_YAML_BYTES = 1 << 20


class _DataLoader(yaml.SafeLoader):
    """Safe YAML that also refuses aliases, so a small file cannot expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(_("YAML aliases are not allowed (line {n})").format(
                n=event.start_mark.line + 1))
        return super().compose_node(parent, index)


def load_yaml(path: Path, *, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, bytes]:
    """Parse ``path`` as data-only YAML; return (data, raw bytes). Errors name the file."""
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise LivelabError([Problem(path, _("cannot be read: {why}").format(why=exc.strerror))]
                           ) from None
    if len(raw) > max_bytes:
        raise LivelabError([Problem(path, _("is larger than {n} KiB").format(n=max_bytes // 1024))])
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_DataLoader), raw  # noqa: S506 - safe loader
    except UnicodeDecodeError as exc:
        raise LivelabError([Problem(path, _("not UTF-8 text (byte {n})").format(n=exc.start))]
                           ) from None
    except yaml.YAMLError as exc:
        raise LivelabError([Problem(path, _("not valid YAML: {why}").format(why=_reason(exc)))]
                           ) from None
    except RecursionError:
        raise LivelabError([Problem(path, _("YAML nested too deeply"))]) from None


def _reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if not mark:
        return str(problem)
    return _("{problem} (line {n})").format(problem=problem, n=mark.line + 1)
