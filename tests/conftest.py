"""Shared fixtures: real data from ../shared/data, tiny media files, a recording test plugin."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE = REPO / "sample_sessions" / "demo_en"
TEST_DATA = REPO / "tests" / "data"


def shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real test data {path} is not present (../shared/data)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory):
    """Split models, the history database and the cache key go to temporary places, never
    the user's."""
    import os

    from livelab.builtin.whisper_models import ENV_CACHE_DIR
    from livelab.engine.cache import ENV_KEY_FILE
    from livelab.reports.history import ENV_HISTORY_DB

    private = {
        ENV_CACHE_DIR: str(tmp_path_factory.mktemp("livelab-cache")),
        ENV_KEY_FILE: str(tmp_path_factory.mktemp("livelab-key") / "cache.key"),
        ENV_HISTORY_DB: str(tmp_path_factory.mktemp("livelab-data") / "history.sqlite3"),
    }
    old = {k: os.environ.get(k) for k in private}
    os.environ.update(private)
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session", autouse=True)
def _the_checkout_stays_clean():
    """Tests write only under temporary folders: no cache appears in the sample sessions."""
    before = set(REPO.glob("sample_sessions/*/.livelab"))
    yield
    written = set(REPO.glob("sample_sessions/*/.livelab")) - before
    assert not written, f"tests wrote into the checkout: {sorted(map(str, written))}"


@pytest.fixture(autouse=True)
def _english_interface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each test starts in English, whatever the one before it chose (a CLI run under a
    Chinese locale, a Mandarin session's scorecard, ``L`` pressed in the TUI, whose choice
    is saved in a settings folder of the test's own)."""
    from livelab import i18n
    from livelab.tui.settings import ENV_CONFIG_DIR

    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "config"))
    i18n.activate("en", "default")
    yield
    i18n.activate("en", "default")


@pytest.fixture
def grid_clip(tmp_path: Path) -> Path:
    """A real 3 s clip of a speaker facing the camera, with audio, copied to a writable place."""
    src = shared("video/grid/bbaf2n.mpg")
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    return dst


def write_media(
    path: Path,
    seconds: float = 2.0,
    video: bool = True,
    audio: bool = True,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    audio_seconds: float | None = None,
) -> Path:
    """Encode a small real media file with PyAV: moving gradient video and/or a 440 Hz tone
    (``audio_seconds`` long when given, else as long as the video)."""
    import av

    with av.open(str(path), "w") as out:
        vs = as_ = None
        if video:
            vs = out.add_stream("libx264" if path.suffix in (".mp4", ".mkv") else "mpeg4", rate=fps)
            vs.width, vs.height = size
            vs.pix_fmt = "yuv420p"
        if audio:
            as_ = out.add_stream(
                "aac" if path.suffix in (".mp4", ".m4a", ".mkv") else "pcm_s16le", rate=16000
            )
            as_.layout = "mono"
        if vs is not None:
            w, h = size
            for i in range(int(seconds * fps)):
                img = np.zeros((h, w, 3), np.uint8)
                img[:, :, 0] = (np.arange(w) + i * 4) % 256
                img[:, :, 1] = 128
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                for packet in vs.encode(frame):
                    out.mux(packet)
            for packet in vs.encode():
                out.mux(packet)
        if as_ is not None:
            t = np.arange(int((audio_seconds or seconds) * 16000)) / 16000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
            step = 1024
            for i in range(0, len(tone), step):
                chunk = tone[i : i + step].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
                frame.sample_rate = 16000
                frame.pts = i
                for packet in as_.encode(frame):
                    out.mux(packet)
            for packet in as_.encode():
                out.mux(packet)
    return path


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small real media files: audio+video, video only, audio only."""
    d = tmp_path_factory.mktemp("media")
    write_media(d / "both.mp4")
    write_media(d / "video_only.mp4", audio=False)
    write_media(d / "audio_only.wav", video=False)
    return d
