"""Data-only YAML for rubrics, product cards and mappings: no tags, no aliases, bounded size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from livelab.api.errors import LivelabError, Problem

MAX_YAML_BYTES = 1 << 20


class _DataLoader(yaml.SafeLoader):
    """Safe YAML that also refuses aliases, so a small file cannot expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"YAML aliases are not allowed (line {event.start_mark.line + 1})")
        return super().compose_node(parent, index)


def load_yaml(path: Path, *, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, bytes]:
    """Parse ``path`` as data-only YAML; return (data, raw bytes). Errors name the file."""
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise LivelabError([Problem(path, f"cannot be read: {exc.strerror}")]) from None
    if len(raw) > max_bytes:
        raise LivelabError([Problem(path, f"is larger than {max_bytes // 1024} KiB")])
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_DataLoader), raw  # noqa: S506 - safe loader
    except UnicodeDecodeError as exc:
        raise LivelabError([Problem(path, f"not UTF-8 text (byte {exc.start})")]) from None
    except yaml.YAMLError as exc:
        raise LivelabError([Problem(path, f"not valid YAML: {_reason(exc)}")]) from None
    except RecursionError:
        raise LivelabError([Problem(path, "YAML nested too deeply")]) from None


def _reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} (line {mark.line + 1})" if mark else str(problem)
