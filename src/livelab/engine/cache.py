"""The per-session analysis cache in ``.livelab/``: content hashes and cached results.

Every entry is sealed with an HMAC under a key this user's machine made (``cache.key`` in
the user data folder): a submitted folder's ``.livelab`` is untrusted input, so an entry
that was edited, or written on another machine, is recomputed, never reused."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

_DIGESTS = "digests.json"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) so that a crash leaves either the old file or the new one,
    never half.

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
        with open(path, "wb") as stream:
            stream.write(text.encode("utf-8") if isinstance(text, str) else text)
        return
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; these are ordinary files to share
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Where this user's cache key lives (tests point it at a temporary file).
ENV_KEY_FILE = "LIVELAB_KEY_FILE"


@functools.lru_cache(maxsize=4)
def _machine_key(where: str) -> bytes:
    """32 random bytes made once per user (file mode 0600); an in-memory key when the file
    cannot be made, so nothing is trusted across runs rather than something forged."""
    path = Path(where)
    try:
        stored = path.read_bytes()[:64]
        return stored if len(stored) >= 16 else secrets.token_bytes(32)
    except FileNotFoundError:
        pass
    except OSError:
        return secrets.token_bytes(32)
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()[:64]
    except OSError:
        pass
    return key


def machine_key() -> bytes:
    where = os.environ.get(ENV_KEY_FILE)
    if not where:
        import platformdirs

        where = str(Path(platformdirs.user_data_dir("livelab")) / "cache.key")
    return _machine_key(where)


def _seal(kind: str, name: str, entry: Any) -> str:
    """HMAC-SHA256 of a cache entry under this user's key."""
    blob = json.dumps([kind, name, entry], sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(machine_key(), blob.encode(), hashlib.sha256).hexdigest()


def _real_dirs_under(home: Path) -> bool:
    """Whether ``home`` and every folder in it are real folders, not links (or absent)."""
    if home.is_symlink():
        return False
    if not home.exists():
        return True
    try:
        return not any(p.is_symlink() for p in home.iterdir())
    except OSError:
        return False


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def key_of(*parts: Any) -> str:
    """A stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class Cache:
    """Results keyed by content: a file's hash is remembered by its stamp (size, mtime,
    ctime, inode) so an unchanged recording is not re-read; results live in one JSON file
    each. The stamp includes the ctime, which no program can set back: an edit that keeps
    the size and restores the mtime (``touch -r``) is hashed again. Remembered hashes are
    sealed like every entry, so a forged one is ignored.

    A cache directory that cannot be written (read-only media) disables caching
    instead of failing the analysis.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self._digests: dict[str, list[Any]] | None = None
        self.writable = True
        # Where the folder really is, found without following a link at its own name: a
        # ``.livelab`` (or a folder in it) linked out of the session is never read or
        # written, so nothing is written, or deleted, outside the session.
        self._home = directory.parent.resolve() / directory.name
        self.outside = directory.is_symlink() or not _real_dirs_under(self._home)
        if self.outside:
            self.writable = False

    def digest(self, path: Path) -> str:
        st = path.stat()
        memo = self._load_digests()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        entry = memo.get(str(path))
        if (
            isinstance(entry, list) and len(entry) == len(stamp) + 2
            and entry[: len(stamp)] == stamp
            and isinstance(entry[-1], str)
            and hmac.compare_digest(entry[-1], _seal("digest", str(path), entry[:-1]))
        ):  # fmt: skip
            return str(entry[-2])
        digest = file_sha256(path)
        memo[str(path)] = [*stamp, digest, _seal("digest", str(path), [*stamp, digest])]
        self._write(self.directory / _DIGESTS, json.dumps(memo, indent=0))
        return digest

    def _load_digests(self) -> dict[str, list[Any]]:
        if self._digests is None and self.outside:
            self._digests = {}
        if self._digests is None:
            try:
                self._digests = json.loads((self.directory / _DIGESTS).read_text("utf-8"))
                if not isinstance(self._digests, dict):
                    self._digests = {}
            except (OSError, ValueError):
                self._digests = {}
        return self._digests

    def get(self, kind: str, name: str, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, if this machine's user wrote it: a cache that came
        with a submitted folder (edited to give full marks, or made elsewhere) is ignored."""
        if self.outside:
            return None
        path = self._path(kind, name, key)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        seal = data.pop("seal", None)
        if not isinstance(seal, str) or not hmac.compare_digest(seal, _seal(kind, name, data)):
            return None
        return data

    def put(self, kind: str, name: str, key: str, data: dict[str, Any]) -> None:
        """Store ``data``, sealed with this user's key; older entries of the same ``name``
        are dropped (one per analyzer)."""
        path = self._path(kind, name, key)
        entry = {**data, "key": key}
        entry["seal"] = _seal(kind, name, entry)
        self._write(path, json.dumps(entry, ensure_ascii=False))
        if not self.writable:
            return
        for old in path.parent.glob(f"{name}@*.json"):
            if old != path:
                old.unlink(missing_ok=True)

    def _path(self, kind: str, name: str, key: str) -> Path:
        return self.directory / kind / f"{name}@{key[:20]}.json"

    def _write(self, path: Path, text: str) -> None:
        if not self.writable:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not _real_dirs_under(self._home) or path.is_symlink():
                self.writable, self.outside = False, True  # a link appeared: stop
                return
            write_atomic(path, text)
        except OSError:
            self.writable = False
