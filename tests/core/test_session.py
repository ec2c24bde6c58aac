"""Session manifests: what loads, and every kind of bad input named with file and key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from livelab.api.errors import SessionError
from livelab.inputs.session import inspect_session, load_session


def make_session(root: Path, media: Path, manifest: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(media, root / "rec.mp4")
    (root / "products.yaml").write_text("products: []\n")
    (root / "session.toml").write_text(manifest, encoding="utf-8")
    return root


GOOD = """
title = "Rehearsal 1"
anchor = "Li Na"
team = "Team A"
language = "zh"
recorded_at = 2026-11-20T14:00:00
recording = "rec.mp4"
products = "products.yaml"

[roles]
anchor = "Li Na"
operations = "Wang Wei"
"""


def problems_of(path: Path) -> list[str]:
    session, problems = inspect_session(path)
    assert session is None
    return [str(p) for p in problems]


def test_good_manifest_loads_every_field(tmp_path, media_dir):
    root = make_session(tmp_path / "s", media_dir / "both.mp4", GOOD)
    s = load_session(root)
    assert (s.title, s.anchor, s.team, s.language) == ("Rehearsal 1", "Li Na", "Team A", "zh")
    assert s.roles == {"anchor": "Li Na", "operations": "Wang Wei"}
    assert s.recorded_at == "2026-11-20T14:00:00"
    assert s.files["recording"] == (root / "rec.mp4").resolve()
    assert s.files["products"].name == "products.yaml"
    assert s.cache_dir == root / ".livelab"


def test_bare_media_file_is_a_session(media_dir):
    s = load_session(media_dir / "both.mp4")
    assert s.title == "both" and s.language == "en" and s.manifest is None
    assert s.cache_dir.name == "both.mp4"


def test_every_problem_is_reported_with_file_and_key(tmp_path, media_dir):
    manifest = (
        GOOD.replace('language = "zh"', 'language = "fr"\ncolour = "red"')
        .replace('anchor = "Li Na"\nteam', "anchor = 7\nteam")
        .replace(
            'products = "products.yaml"', 'products = "missing.yaml"\nops = "../../etc/passwd"'
        )
    )
    root = make_session(tmp_path / "s", media_dir / "both.mp4", manifest)
    found = problems_of(root)
    manifest_path = root / "session.toml"
    expected = {
        "colour": "unknown key",
        "language": "must be one of en, zh",
        "anchor": "must be a string, not an integer",
        "products": "'missing.yaml' does not exist",
        "ops": "points outside the session folder",
    }
    assert len(found) == len(expected)
    for key, message in expected.items():
        assert any(p.startswith(f"{manifest_path}: {key}: ") and message in p for p in found), key


def test_absolute_path_refused(tmp_path, media_dir):
    root = make_session(
        tmp_path / "s", media_dir / "both.mp4", GOOD.replace('"products.yaml"', '"/etc/hostname"')
    )
    assert any("products: '/etc/hostname' is an absolute path" in p for p in problems_of(root))


def test_symlink_escaping_the_folder_refused(tmp_path, media_dir):
    outside = tmp_path / "secret.yaml"
    outside.write_text("x: 1\n")
    root = make_session(
        tmp_path / "s", media_dir / "both.mp4", GOOD.replace('"products.yaml"', '"link.yaml"')
    )
    os.symlink(outside, root / "link.yaml")
    assert any("'link.yaml' points outside the session folder" in p for p in problems_of(root))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "file is empty"),
        (b"this is not a video at all" * 100, "cannot be read as audio/video"),
    ],
)
def test_unreadable_media_named(tmp_path, content, message):
    root = tmp_path / "s"
    root.mkdir()
    (root / "rec.mp4").write_bytes(content)
    (root / "session.toml").write_text('recording = "rec.mp4"\n')
    found = problems_of(root)
    assert len(found) == 1 and message in found[0] and "rec.mp4: recording:" in found[0]


def test_non_utf8_and_invalid_toml(tmp_path):
    root = tmp_path / "s"
    root.mkdir()
    (root / "session.toml").write_bytes(b'title = "\xff\xfe"\n')
    assert "not UTF-8" in problems_of(root)[0]
    (root / "session.toml").write_text('title = "unterminated\n')
    assert "not valid TOML" in problems_of(root)[0]


def test_missing_recording_and_folder_without_manifest(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no session.toml" in problems_of(tmp_path / "empty")[0]
    root = tmp_path / "s"
    root.mkdir()
    (root / "session.toml").write_text('title = "x"\n')
    assert "needs a recording" in problems_of(root)[0]


def test_load_session_raises_with_all_problems(tmp_path):
    with pytest.raises(SessionError) as info:
        load_session(tmp_path / "nope")
    assert "no such session folder or media file" in str(info.value)


def test_audio_only_session_uses_audio_as_recording(tmp_path, media_dir):
    root = tmp_path / "s"
    root.mkdir()
    shutil.copyfile(media_dir / "audio_only.wav", root / "voice.wav")
    (root / "session.toml").write_text('audio = "voice.wav"\n')
    s = load_session(root)
    assert s.media == s.files["recording"] == (root / "voice.wav").resolve()


def test_metadata_path_is_absolute_whatever_was_typed(tmp_path, media_dir, monkeypatch):
    # History and the TUI match attempts by this path: "s" typed in one folder and the
    # full path typed elsewhere must be the same session.
    root = make_session(tmp_path / "s", media_dir / "both.mp4", GOOD)
    monkeypatch.chdir(tmp_path)
    relative = load_session(Path("s")).metadata()["path"]
    assert relative == load_session(root.resolve()).metadata()["path"]
    assert Path(relative).is_absolute()


def test_a_recorded_take_says_whether_it_was_interrupted(tmp_path, media_dir):
    from livelab.inputs.session import session_warnings

    take = '\n[take]\nstatus = "interrupted"\nreason = "stopped with Ctrl-C at 00:37"\nseed = 4\n'
    s = load_session(make_session(tmp_path / "s", media_dir / "both.mp4", GOOD + take))
    meta = s.metadata()
    assert meta["take"] == {"status": "interrupted", "reason": "stopped with Ctrl-C at 00:37",
                            "seed": 4}  # fmt: skip
    assert session_warnings(meta) == ["interrupted take: stopped with Ctrl-C at 00:37"]
    assert session_warnings(load_session(make_session(tmp_path / "t", media_dir / "both.mp4",
                                                      GOOD)).metadata()) == []  # fmt: skip
    bad = make_session(tmp_path / "u", media_dir / "both.mp4", GOOD + '\n[take]\nstatus = "?"\n')
    assert any("take" in p and "status must be one of complete, interrupted" in p
               for p in problems_of(bad))  # fmt: skip
