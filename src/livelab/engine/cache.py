"""The per-session analysis cache in ``.livelab/``: content hashes and cached results."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

_DIGESTS = "digests.json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that a crash leaves either the old file or the new one, never half.

    Only regular files are replaced. A device, FIFO or socket (``/dev/null``,
    ``/dev/stdout``, a pipe) is written to as a stream: renaming over it would turn the
    machine's ``/dev/null`` into a plain file when livelab runs as root. A symlink to a
    regular file stays a link: the file it points to is replaced.
    """
    path = Path(path)
    try:
        st = os.stat(path)  # follows links: what a write would reach
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a link loop, a path through a file
        raise OSError(exc.errno, f"{path}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{path}: is a folder, not a file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; these are ordinary files to share
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def key_of(*parts: Any) -> str:
    """A stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class Cache:
    """Results keyed by content: a file's hash is remembered by (size, mtime) so an
    unchanged recording is not re-read; results live in one JSON file each.

    A cache directory that cannot be written (read-only media) disables caching
    instead of failing the analysis.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self._digests: dict[str, list[Any]] | None = None
        self.writable = True

    def digest(self, path: Path) -> str:
        st = path.stat()
        memo = self._load_digests()
        stamp = [st.st_size, st.st_mtime_ns]
        entry = memo.get(str(path))
        if entry and entry[:2] == stamp:
            return str(entry[2])
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        memo[str(path)] = [*stamp, digest]
        self._write(self.directory / _DIGESTS, json.dumps(memo, indent=0))
        return digest

    def _load_digests(self) -> dict[str, list[Any]]:
        if self._digests is None:
            try:
                self._digests = json.loads((self.directory / _DIGESTS).read_text("utf-8"))
                if not isinstance(self._digests, dict):
                    self._digests = {}
            except (OSError, ValueError):
                self._digests = {}
        return self._digests

    def get(self, kind: str, name: str, key: str) -> dict[str, Any] | None:
        path = self._path(kind, name, key)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("key") == key else None

    def put(self, kind: str, name: str, key: str, data: dict[str, Any]) -> None:
        """Store ``data``; older entries of the same ``name`` are dropped (one per analyzer)."""
        path = self._path(kind, name, key)
        self._write(path, json.dumps({**data, "key": key}, ensure_ascii=False))
        for old in path.parent.glob(f"{name}@*.json"):
            if old != path:
                old.unlink(missing_ok=True)

    def _path(self, kind: str, name: str, key: str) -> Path:
        return self.directory / kind / f"{name}@{key[:20]}.json"

    def _write(self, path: Path, text: str) -> None:
        if not self.writable:
            return
        try:
            write_atomic(path, text)
        except OSError:
            self.writable = False
