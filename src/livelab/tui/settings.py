"""What the practice app remembers between runs: for now, the interface language picked with
``L``. A small JSON file in the user config folder (``$LIVELAB_CONFIG_DIR`` overrides it);
an unreadable or hand-broken file is ignored with a warning, never fatal."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from livelab import i18n

#: Overrides the folder of ``tui.json`` (default: platformdirs ``user_config_dir("livelab")``).
ENV_CONFIG_DIR = "LIVELAB_CONFIG_DIR"
#: Where a language chosen in the app came from, as ``i18n`` records it.
SOURCE = "tui setting"

log = logging.getLogger(__name__)


def settings_path() -> Path:
    folder = os.environ.get(ENV_CONFIG_DIR, "").strip()
    if not folder:
        import platformdirs

        folder = platformdirs.user_config_dir("livelab")
    return Path(folder) / "tui.json"


def load() -> dict[str, Any]:
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s: ignored, not readable settings (%s)", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("%s: ignored, not a JSON object", path)
        return {}
    return data


def save(**changes: Any) -> Path:
    """Merge ``changes`` into the settings file, atomically (a crash leaves the old file)."""
    path = settings_path()
    data = {**load(), **changes}
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)
    return path


def start_language() -> str:
    """The app's language: ``--lang`` and ``$LIVELAB_LANG`` win; else the one picked in the
    app last time; else the system locale's (``i18n``'s rule)."""
    if i18n.source() in ("locale", "default"):
        saved = load().get("language")
        if isinstance(saved, str):
            try:
                i18n.activate(saved, SOURCE)
            except i18n.UnknownLanguage:
                log.warning("%s: unknown language %r ignored", settings_path(), saved)
    return i18n.current()


def switch_language() -> str:
    """The next interface language (English ⇄ 简体中文), active now and remembered."""
    codes = list(i18n.LANGUAGES)
    language = codes[(codes.index(i18n.current()) + 1) % len(codes)]
    i18n.activate(language, SOURCE)
    save(language=language)
    return language
