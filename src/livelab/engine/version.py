"""The installed version of a distribution (livelab itself, or a plugin's)."""

from __future__ import annotations

import importlib.metadata


def package_version(dist: str = "livelab") -> str:
    """``dist``'s installed version; ``0+unknown`` when it is not installed (a bare checkout)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
