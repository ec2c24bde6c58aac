"""A session's decoded audio, kept on disk and read in slices, so memory stays flat.

An hour of 16 kHz mono audio is 230 MB as float32 in memory; as an :class:`AudioTrack` it is
115 MB of int16 in an anonymous temporary file (deleted when the track is, or when the
process ends, even killed) and costs the memory of the slice being read. The samples are
those faster-whisper's decoder gives (FFmpeg resampled to signed 16 bit, scaled by 1/32768).
"""

from __future__ import annotations

import threading
from typing import IO, TYPE_CHECKING, Any, Union

if TYPE_CHECKING:  # numpy is imported when a track is read, so `livelab --help` stays light
    import numpy as np

SAMPLE_RATE = 16_000


class AudioTrack:
    """16 kHz mono audio that reads like a 1-D float32 array: ``len(track)`` samples,
    ``track[a:b]`` (a float32 array of those samples, read from disk), ``np.asarray(track)``
    (all of it: use slices for long recordings). Thread-safe."""

    def __init__(self, file: IO[bytes], samples: int):
        self._file = file
        self._samples = samples
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._samples

    @property
    def duration_s(self) -> float:
        return self._samples / SAMPLE_RATE

    def __getitem__(self, key: Any) -> Any:
        import numpy as np

        if isinstance(key, slice):
            start, stop, step = key.indices(self._samples)
            data = self._read(start, max(start, stop))
            return data if step == 1 else data[::step]
        if isinstance(key, int | np.integer):
            index = int(key) + (self._samples if key < 0 else 0)
            if not 0 <= index < self._samples:
                raise IndexError(f"sample {key} of {self._samples}")
            return self._read(index, index + 1)[0]
        return np.asarray(self)[key]  # fancy indexing: reads everything

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self._read(0, self._samples)
        return data if dtype is None else data.astype(dtype)

    def _read(self, start: int, stop: int) -> np.ndarray:
        import numpy as np

        count = stop - start
        if count <= 0:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            self._file.seek(2 * start)
            raw = self._file.read(2 * count)
        pcm = np.frombuffer(raw, dtype="<i2")
        return pcm.astype(np.float32) * np.float32(1 / 32768.0)

    def close(self) -> None:
        """Delete the samples on disk; the track cannot be read after."""
        self._file.close()

    def __del__(self) -> None:
        try:
            self._file.close()
        except Exception:  # at interpreter exit the file may already be gone
            pass

    def __repr__(self) -> str:
        return f"AudioTrack({self._samples} samples, {self.duration_s:.1f} s)"


#: What an analyzer or transcriber is given as audio: a track, or (in tests, short clips) an
#: array; both have ``len()`` and slices.
AudioLike = Union[AudioTrack, "np.ndarray"]  # noqa: UP007 (a forward reference: no numpy import)
