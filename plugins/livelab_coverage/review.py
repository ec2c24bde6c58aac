"""The instructor's corrections of what coverage detected (a review file's ``facts``):
selling points said or not said, calls to action the recogniser missed or invented."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from livelab import Evidence, Findings, LivelabError, Message, Messages, Problem, clock, seconds_of

M = Messages("livelab_coverage")
FACTS = frozenset({"selling_points", "calls_to_action"})
SIDES = ("said", "not_said")


def revise_coverage(f: Findings, facts: Mapping[str, Any], where: Path) -> Findings:
    """``f`` (a copy of the cached findings) with the review's corrections applied."""
    problems: list[Problem] = []
    for key, table in facts.items():
        if not isinstance(table, dict) or set(table) - set(SIDES):
            problems.append(Problem(where, M("fact_sides", "must be a mapping with said and/or "
                                             "not_said lists"), f"facts.{key}"))
            continue
        for side in SIDES:
            items = table.get(side) or []
            if not isinstance(items, list):
                problems.append(Problem(where, M("fact_list", "must be a list"),
                                        f"facts.{key}.{side}"))
    if problems:
        raise LivelabError(problems)
    if "selling_points" in facts:
        _selling_points(f, facts["selling_points"], where)
    if "calls_to_action" in facts:
        _calls_to_action(f, facts["calls_to_action"], where)
    return f


def _selling_points(f: Findings, table: Mapping[str, Any], where: Path) -> None:
    products: dict[str, dict] = f.details.get("products") or {}
    # every selling point by the names a teacher may give it: its id, product/id, its label
    index: dict[str, tuple[str, str]] = {}
    for pid, info in products.items():
        for sp in [*info.get("selling_points_found", []), *info.get("selling_points_missed", [])]:
            for name in (sp["id"], f"{pid}/{sp['id']}", sp["label"]):
                index.setdefault(str(name), (pid, sp["id"]))
    valid = ", ".join(sorted(f"{pid}/{sp}" for pid, sp in set(index.values())))
    wanted: dict[tuple[str, str], bool] = {}
    problems = []
    for side in SIDES:
        for i, item in enumerate(table.get(side) or []):
            if str(item) not in index:
                problems.append(Problem(where, M(
                    "unknown_selling_point", "{item} is not a selling point of this session's "
                    "products (selling points: {valid})", item=repr(item), valid=valid or "—"),
                    f"facts.selling_points.{side}[{i}]"))
                continue
            wanted[index[str(item)]] = side == "said"
    if problems:
        raise LivelabError(problems)
    several = len(products) > 1
    total = found = 0
    missed_labels: list[str] = []
    missed_rows: list[dict] = []
    for pid, info in products.items():
        points = {sp["id"]: (sp, True) for sp in info.get("selling_points_found", [])}
        points.update({sp["id"]: (sp, False) for sp in info.get("selling_points_missed", [])})
        kept_found, kept_missed = [], []
        for spid, (sp, said) in points.items():
            now = wanted.get((pid, spid), said)
            if now != said:
                _swap_evidence(f, info["name"], sp["label"], now)
            if now:
                kept_found.append(sp if said else {"id": spid, "label": sp["label"],
                                                   "first_s": None, "quote": "", "times": 0,
                                                   "review": "said"})
            else:
                kept_missed.append({"id": spid, "label": sp["label"],
                                    **({"review": "not said"} if said else {})})
                missed_labels.append(f"{info['name']}: {sp['label']}" if several else sp["label"])
                missed_rows.append({"product": pid, "product_name": info["name"], "id": spid,
                                    "label": sp["label"]})
        info["selling_points_found"], info["selling_points_missed"] = kept_found, kept_missed
        n = len(kept_found) + len(kept_missed)
        info["selling_points_ratio"] = len(kept_found) / n if n else None
        total += n
        found += len(kept_found)
    f.details["missed_selling_points"] = missed_rows
    if missed_labels:
        f.missed["coverage.selling_points_ratio"] = missed_labels
    else:
        f.missed.pop("coverage.selling_points_ratio", None)
    if total:
        f.set("coverage.selling_points_ratio", found / total)


def _swap_evidence(f: Findings, product: str, point: str, said: bool) -> None:
    """Replace what the machine said about one selling point with the instructor's word."""
    def about(e: Evidence) -> bool:
        msg = e.message
        return (e.metric == "coverage.selling_points_ratio" and isinstance(msg, Message)
                and msg.params.get("point") == point and msg.params.get("product") == product)

    dropped = [str(e.message) for e in f.evidence if about(e)]
    f.evidence = [e for e in f.evidence if not about(e)]
    f.highlights = [h for h in f.highlights if h.text not in dropped]
    message = (M("selling_point_said_review", "{product} — said (the instructor's review): "
                 "{point}", product=product, point=point) if said
               else M("selling_point_not_said_review", "{product} — not said (the instructor's "
                      "review): {point}", product=product, point=point))
    f.evidence.insert(0, Evidence(None, None, "coverage.selling_points_ratio", message))


def _calls_to_action(f: Findings, table: Mapping[str, Any], where: Path) -> None:
    ctas: list[dict] = list(f.details.get("calls_to_action") or [])
    duration = float(f.details.get("duration_s") or 0.0)
    problems = []
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    for side in SIDES:
        for i, item in enumerate(table.get(side) or []):
            seconds = seconds_of(item)
            if seconds is None:
                problems.append(Problem(where, M("fact_time", "{item} is not a time in the "
                                                 "recording (seconds or mm:ss)", item=repr(item)),
                                        f"facts.calls_to_action.{side}[{i}]"))
            else:
                times[side].append(seconds)
    detected = ", ".join(clock(c["start_s"]) for c in ctas) or "—"
    for i, at in enumerate(times["not_said"]):
        match = [c for c in ctas if _at(c["start_s"], at)]
        if not match:
            problems.append(Problem(where, M(
                "no_cta_there", "no call to action was detected at {at} (detected: {detected})",
                at=clock(at), detected=detected), f"facts.calls_to_action.not_said[{i}]"))
    if not duration > 0:
        problems.append(Problem(where, M("no_duration", "the session has no duration"),
                                "facts.calls_to_action"))
    if problems:
        raise LivelabError(problems)
    for at in times["not_said"]:
        gone = [c for c in ctas if _at(c["start_s"], at)]
        ctas = [c for c in ctas if c not in gone]
        for c in gone:
            was = [e for e in f.evidence if e.metric == "coverage.cta_per_10min"
                   and e.start_s is not None and abs(e.start_s - c["start_s"]) < 0.01]
            dropped = {str(e.message) for e in was}
            f.evidence = [e for e in f.evidence if e not in was]
            f.highlights = [h for h in f.highlights if h.text not in dropped]
            f.evidence.append(Evidence(c["start_s"], c["start_s"], "coverage.cta_per_10min", M(
                "cta_not_said_review", "not a call to action (the instructor's review)")))
    for at in times["said"]:
        ctas.append({"start_s": round(at, 2), "quote": "", "product": None, "review": "said"})
        f.evidence.append(Evidence(at, at, "coverage.cta_per_10min", M(
            "cta_said_review", "call to action (the instructor's review)")))
    f.details["calls_to_action"] = sorted(ctas, key=lambda c: c["start_s"])
    f.evidence.sort(key=lambda e: (e.start_s is not None, e.start_s or 0.0, e.metric))
    f.set("coverage.cta_per_10min", len(ctas) / duration * 600)


def _at(start_s: float, at: float) -> bool:
    """A time as the teacher wrote it names a finding shown at that second (times are
    rounded), or within a tenth when written to a tenth."""
    return round(start_s) == at if float(at).is_integer() else abs(start_s - at) <= 0.1


def fact_choices(details: Mapping[str, Any]) -> dict[str, list[str]]:
    """The template's lines: every selling point (said or missed) and every detected call
    to action, as the review file names them."""
    points = []
    for pid, info in (details.get("products") or {}).items():
        for sp in info.get("selling_points_missed", []):
            points.append(f"{pid}/{sp['id']}  # {info['name']}: {sp['label']} — missed")
        for sp in info.get("selling_points_found", []):
            points.append(f"{pid}/{sp['id']}  # {info['name']}: {sp['label']} — said")
    ctas = [f'"{clock(c["start_s"])}"  # {c.get("quote") or ""}'.rstrip()
            for c in details.get("calls_to_action") or []]
    return {"selling_points": points, "calls_to_action": ctas}
