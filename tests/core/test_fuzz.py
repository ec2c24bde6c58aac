"""Property-based tests: parsers never crash on arbitrary input (they accept it or raise a
LivelabError naming the file), and scoring rules stay within their contracts."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livelab.api.errors import LivelabError
from livelab.inputs.session import inspect_session
from livelab.scoring.rubric import Band, Bands, Linear, PassFail, Target, load_rubric

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), finite,
                    st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)


@FAST
@given(lo=finite, width=st.floats(min_value=1e-3, max_value=1e6), value=finite)
def test_linear_is_clamped_and_monotonic(lo, width, value):
    up, down = Linear(lo, lo + width), Linear(lo + width, lo)
    f = up.fraction(value)
    assert 0.0 <= f <= 1.0
    assert math.isclose(f + down.fraction(value), 1.0, abs_tol=1e-9)
    assert up.fraction(value + width / 10) >= f


@FAST
@given(target=finite, tol=st.floats(0, 1e6), falloff=st.floats(1e-3, 1e6), value=finite)
def test_target_is_symmetric_and_full_inside_tolerance(target, tol, falloff, value):
    rule = Target(target, tol, falloff)
    f = rule.fraction(value)
    assert 0.0 <= f <= 1.0
    assert math.isclose(f, rule.fraction(2 * target - value), abs_tol=1e-6)
    if abs(value - target) <= tol:
        assert f == 1.0


@FAST
@given(edges=st.lists(finite, min_size=2, max_size=6, unique=True),
       scores=st.lists(st.floats(0, 1), min_size=5, max_size=5), value=finite)
def test_bands_give_the_first_matching_score(edges, scores, value):
    edges = sorted(edges)
    bands = tuple(Band(scores[i], edges[i], edges[i + 1]) for i in range(len(edges) - 1))
    f = Bands(bands).fraction(value)
    inside = [b.score for b in bands if b.min <= value < b.max]
    assert f == (inside[0] if inside else 0.0)
    assert PassFail(edges[0], edges[-1]).fraction(value) == float(edges[0] <= value <= edges[-1])


@FAST
@given(data=values)
def test_rubric_loader_accepts_or_names_the_file(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        try:
            rubric = load_rubric(path)
        except LivelabError as exc:
            assert all(str(p).startswith(str(path)) for p in exc.problems)
        else:
            assert rubric.criteria and all(c.weight > 0 for c in rubric.criteria)


@FAST
@given(criteria=st.lists(st.fixed_dictionaries({
    "id": st.text(min_size=1, max_size=8), "metric": st.sampled_from(["x.a", "x.b", ""]),
    "weight": st.one_of(finite, st.text(max_size=3)),
    "rule": st.fixed_dictionaries({"type": st.sampled_from(["linear", "target", "bands",
                                                           "pass_fail", "magic"])},
                                  optional={"zero": finite, "full": finite, "target": finite,
                                            "tolerance": finite, "falloff": finite,
                                            "min": finite, "max": finite,
                                            "bands": st.lists(st.dictionaries(
                                                st.sampled_from(["min", "max", "score"]),
                                                finite, max_size=3), max_size=3)}),
}), min_size=1, max_size=4))
def test_rubric_criteria_fuzz(criteria):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.yaml"
        path.write_text(yaml.safe_dump({"id": "r", "title": "R", "criteria": criteria}))
        try:
            rubric = load_rubric(path, known_metrics={"x.a", "x.b"})
        except LivelabError as exc:
            assert all("criteri" in str(p) or str(p).startswith(str(path)) for p in exc.problems)
            return
        for c in rubric.criteria:
            for v in (-1e6, 0.0, 1.0, 1e6):
                assert 0.0 <= c.rule.fraction(v) <= 1.0


@FAST
@given(manifest=st.dictionaries(st.sampled_from(
    ["title", "anchor", "team", "language", "recorded_at", "recording", "audio", "products",
     "ops", "chat", "roles", "colour"]), values, max_size=6))
def test_manifest_loader_never_crashes(manifest):
    import tomllib  # noqa: F401 - the manifest format

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "session.toml").write_text(_toml(manifest), encoding="utf-8")
        session, problems = inspect_session(root, probe_media=False)
        assert (session is None) == bool(problems)
        for p in problems:
            assert str(p).startswith(str(root))


@FAST
@given(raw=st.binary(max_size=300))
def test_manifest_bytes_never_crash(raw):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "session.toml").write_bytes(raw)
        session, problems = inspect_session(root, probe_media=False)
        assert session is None or not problems


@FAST
@given(data=values)
def test_product_cards_accept_or_name_the_file(data):
    from livelab_coverage.products import load_products

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "products.yaml"
        path.write_text(yaml.safe_dump({"products": data}, allow_unicode=True), encoding="utf-8")
        try:
            products = load_products(path)
        except LivelabError as exc:
            assert all(str(p).startswith(str(path)) for p in exc.problems)
        else:
            assert all(p.id and p.selling_points for p in products)


def _toml(data: dict) -> str:
    """Write arbitrary data as TOML where possible (strings for anything TOML can't hold)."""
    lines = []
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        lines.append(f"[{key}]")
        for k, v in table.items():
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and value is not None:
        return repr(value) if math.isfinite(value) else '"nan"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if not isinstance(v, dict)) + "]"
    return _toml_key(str(value))
