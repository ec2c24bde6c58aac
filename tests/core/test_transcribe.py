"""The speech-to-text service: long audio in quiet-cut windows, and --no-cache honoured."""

from __future__ import annotations

import numpy as np

from livelab.builtin import whisper as transcribe
from livelab.builtin.whisper import SAMPLE_RATE, _windows


def test_windows_cover_everything_and_cut_in_the_quietest_place(monkeypatch):
    monkeypatch.setattr(transcribe, "WINDOW_S", 10)
    monkeypatch.setattr(transcribe, "CUT_SEARCH_S", 4)
    rng = np.random.default_rng(1)
    audio = (0.3 * rng.standard_normal(47 * SAMPLE_RATE)).astype(np.float32)
    audio[int(8.0 * SAMPLE_RATE) : int(8.3 * SAMPLE_RATE)] = 0  # a pause near the first cut
    windows = _windows(audio)
    assert windows[0][0] == 0 and windows[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))  # no gap
    assert 8.0 <= windows[0][1] / SAMPLE_RATE <= 8.3  # the cut lands in the pause
    assert all((end - start) / SAMPLE_RATE <= 15 for start, end in windows)
    assert _windows(audio[: 5 * SAMPLE_RATE]) == [(0, 5 * SAMPLE_RATE)]
