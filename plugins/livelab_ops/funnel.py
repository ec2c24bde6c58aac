"""The live-room funnel: the exact formulas behind every ``ops.*`` metric (see FORMULAS.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from livelab import N_, Evidence, Findings, Message, Messages, MetricSpec, Series
from livelab_ops.table import OpsTable

M = Messages("livelab_ops")

METRICS = (
    MetricSpec("ops.pcu", "viewers", N_("Peak concurrent viewers: max(online)."), "higher",
               title=N_("Peak viewers")),
    MetricSpec("ops.acu", "viewers",
               N_("Average concurrent viewers, weighted by how long each row lasted."), "higher",
               title=N_("Average viewers")),
    MetricSpec("ops.uv", "viewers",
               N_("Unique viewers: sum(entries), or the export's own total of entries."), "higher",
               title=N_("Unique viewers")),
    MetricSpec("ops.views", "views", N_("Views: sum(views), else ops.uv."), "higher",
               title=N_("Views")),
    MetricSpec("ops.avg_watch_s", "s",
               N_("Average watch time: sum(online × interval seconds) / uv."), "higher",
               title=N_("Average watch time")),
    MetricSpec("ops.interaction_rate", "per viewer",
               N_("(likes + comments + shares) / uv: interactions per viewer."), "higher",
               title=N_("Interaction rate")),
    MetricSpec("ops.follow_rate", "ratio", N_("new_followers / uv."), "higher",
               title=N_("Follow rate")),
    MetricSpec("ops.ctr", "ratio",
               N_("Product click-through: product_clicks / product_impressions."),
               "higher", title=N_("Product click-through")),
    MetricSpec("ops.click_to_order", "ratio", N_("orders / product_clicks."), "higher",
               title=N_("Clicks to orders")),
    MetricSpec("ops.watch_to_order", "ratio",
               N_("buyers / uv (orders / uv when the export has no buyers)."), "higher",
               title=N_("Viewers to buyers")),
    MetricSpec("ops.gmv", "currency", N_("Gross merchandise value: sum(gmv)."), "higher",
               title=N_("GMV")),
    MetricSpec("ops.gpm", "currency per 1000 views",
               N_("GMV per thousand views: gmv / views × 1000 (views falls back to uv)."), "higher",
               title=N_("GMV per 1000 views")),
    MetricSpec("ops.uv_value", "currency per viewer", N_("gmv / uv."), "higher",
               title=N_("GMV per viewer")),
    MetricSpec("ops.aov", "currency per order", N_("Average order value: gmv / orders."), "none",
               title=N_("Average order value")),
    # the traffic side (投流): exposure, where viewers came from, what the ads cost
    MetricSpec("ops.exposures", "viewers",
               N_("Room exposures: sum(exposures), people shown the room in a feed."), "higher",
               title=N_("Room exposures")),
    MetricSpec("ops.entry_rate", "ratio",
               N_("Exposure to entry (曝光进入率): uv / sum(exposures)."), "higher",
               title=N_("Exposure to entry")),
    MetricSpec("ops.natural_share", "ratio",
               N_("Share of entries from natural traffic: natural_entries / (natural_entries + "
                  "paid_entries)."), "higher", title=N_("Natural traffic share")),
    MetricSpec("ops.paid_share", "ratio",
               N_("Share of entries from paid traffic: paid_entries / (natural_entries + "
                  "paid_entries)."), "none", title=N_("Paid traffic share")),
    MetricSpec("ops.ad_spend", "currency", N_("Ad spend: sum(ad_spend)."), "none",
               title=N_("Ad spend")),
    # ROI is a plain number: 3.2 (GMV is 3.2 times the spend), not 320 %
    MetricSpec("ops.roi", "×", N_("Return on ad spend: sum(gmv) / sum(ad_spend)."), "higher",
               title=N_("ROI (GMV ÷ ad spend)")),
    MetricSpec("ops.product_click_to_order_min", "ratio",
               N_("The lowest click-to-order among the products with clicks (orders / "
                  "product_clicks per product): the product that sells worst."), "higher",
               title=N_("Weakest product's click-to-order")),
)


#: Per-minute series longer than this (about a week) are not drawn.
MAX_SERIES_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class _Measure:
    """A value, or the reason there is none."""

    value: float | None
    reason: str | Message = ""


def row_intervals(table: OpsTable, duration_s: float | None) -> np.ndarray | None:
    """Seconds each row lasts: the gap to the next row's ``t``.

    The last row has no next row: it lasts the median gap (a per-minute table's last row
    is a minute like the others). With a single row, it lasts until the recording ends;
    ``None`` when that is unknown too.
    """
    t = table.t
    if len(t) >= 2:
        gaps = np.diff(t)
        return np.append(gaps, float(np.median(gaps)))
    if duration_s and duration_s > t[0]:
        return np.array([duration_s - t[0]])
    return None


def measure(table: OpsTable, duration_s: float | None = None) -> Findings:
    """Every ``ops.*`` metric of ``table``, per-minute series and a per-product table."""
    f = Findings()
    name = table.path.name
    cols = table.columns
    intervals = row_intervals(table, duration_s)

    def total(column: str) -> float:
        return float(np.sum(cols[column]))

    def need(*columns: str) -> Message | None:
        missing = [c for c in columns if c not in cols]
        if not missing:
            return None
        if len(missing) == 1:
            return M("no_column", "{file} has no '{column}' column (format {format})",
                     file=name, column=missing[0], format=table.format)
        quoted = ", ".join(f"'{c}'" for c in missing[:-1])
        return M("no_columns", "{file} has no {columns} and '{last}' columns (format {format})",
                 file=name, columns=quoted, last=missing[-1], format=table.format)

    def ratio(num: Callable[[], float], den: float, undefined: Message) -> _Measure:
        if den == 0:
            return _Measure(None, M("undefined", "undefined: {why}", why=undefined))
        return _Measure(num() / den)

    no_viewers = M("why", "no viewers (uv is 0)")

    # Viewers.
    if reason := need("online"):
        pcu = acu = _Measure(None, reason)
        watch_total = None
    else:
        online = cols["online"]
        pcu = _Measure(float(np.max(online)))
        if intervals is None:
            acu = _Measure(float(online[0]))  # one row: its value is the mean, whatever its length
            watch_total = None
        else:
            watch_total = float(np.sum(online * intervals))
            acu = _Measure(watch_total / float(np.sum(intervals)))
        peak = int(np.argmax(online))
        end = table.t[peak] + (intervals[peak] if intervals is not None else 0.0)
        f.evidence.append(Evidence(float(table.t[peak]), float(end), "ops.pcu",
                                   M("peak_viewers", "peak {viewers:,.0f} viewers (row {row})",
                                     viewers=float(online[peak]),
                                     row=int(table.row_numbers[peak]))))

    uv_from = ""
    if "entries" in table.totals:
        uv, uv_from = _Measure(table.totals["entries"]), f"the totals row (row {table.totals_row})"
    elif reason := need("entries"):
        uv = _Measure(None, reason)
    else:
        uv, uv_from = _Measure(total("entries")), "sum(entries)"
    if "views" in cols:
        views, views_from = _Measure(total("views")), "sum(views)"
    else:
        views, views_from = uv, "ops.uv (no views column)"

    def per_viewer(num: Callable[[], float], *columns: str) -> _Measure:
        if uv.value is None:
            return uv
        if reason := need(*columns):
            return _Measure(None, reason)
        return ratio(num, uv.value, no_viewers)

    if watch_total is None:
        avg_watch = _Measure(None, pcu.reason or
                             M("one_row_no_duration", "{file} has one row and the recording "
                               "length is unknown, so the row has no duration", file=name))
    elif uv.value is None:
        avg_watch = uv
    else:
        avg_watch = ratio(lambda: watch_total, uv.value, no_viewers)

    interaction = per_viewer(lambda: total("likes") + total("comments") + total("shares"),
                             "likes", "comments", "shares")
    follow = per_viewer(lambda: total("new_followers"), "new_followers")
    buyers_column = "buyers" if "buyers" in cols else "orders"
    watch_to_order = per_viewer(lambda: total(buyers_column), buyers_column)

    def between(num: str, den: str, undefined: Message) -> _Measure:
        if reason := need(num, den):
            return _Measure(None, reason)
        return ratio(lambda: total(num), total(den), undefined)

    ctr = between("product_clicks", "product_impressions", M("why", "no product impressions"))
    click_to_order = between("orders", "product_clicks", M("why", "no product clicks"))
    gmv = _Measure(None, need("gmv") or "") if "gmv" not in cols else _Measure(total("gmv"))

    def per_gmv(den: _Measure, scale: float, undefined: Message) -> _Measure:
        if gmv.value is None:
            return gmv
        if den.value is None:
            return den
        return ratio(lambda: gmv.value * scale, den.value, undefined)  # type: ignore[operator]

    gpm = per_gmv(views, 1000.0, M("why", "no views"))
    uv_value = per_gmv(uv, 1.0, no_viewers)
    orders = (_Measure(None, need("orders") or "") if "orders" not in cols
              else _Measure(total("orders")))
    aov = per_gmv(orders, 1.0, M("why", "no orders"))

    # The traffic side.
    exposures = (_Measure(None, need("exposures") or "") if "exposures" not in cols
                 else _Measure(total("exposures")))
    if exposures.value is None:
        entry_rate = exposures
    elif uv.value is None:
        entry_rate = uv
    else:
        entry_rate = ratio(lambda: uv.value, exposures.value,  # type: ignore[arg-type,return-value]
                           M("why", "no exposures"))
    if reason := need("natural_entries", "paid_entries"):
        natural_share = paid_share = _Measure(None, reason)
    else:
        sourced = total("natural_entries") + total("paid_entries")
        undefined = M("why", "no entries from either source")
        natural_share = ratio(lambda: total("natural_entries"), sourced, undefined)
        paid_share = ratio(lambda: total("paid_entries"), sourced, undefined)
    ad_spend = (_Measure(None, need("ad_spend") or "") if "ad_spend" not in cols
                else _Measure(total("ad_spend")))
    roi = per_gmv(ad_spend, 1.0, M("why", "no ad spend"))
    products = per_product(table) if table.product_codes is not None else None
    no_product = None if products is not None else M(
        "no_column", "{file} has no '{column}' column (format {format})", file=name,
        column="product", format=table.format)
    weakest = _weakest_product(products, need("product_clicks", "orders") or no_product)
    if weakest.value is not None and products and len(products) > 1:  # one product: no "weakest"
        worst = min((p for p in products.items() if p[1].get("click_to_order") is not None),
                    key=lambda p: p[1]["click_to_order"])
        f.evidence.append(Evidence(None, None, "ops.product_click_to_order_min", M(
            "weakest_product", "weakest product: {product} — {clicks:,.0f} clicks, {orders:,.0f} "
            "orders ({rate:.0%})", product=worst[0], clicks=worst[1]["product_clicks"],
            orders=worst[1]["orders"], rate=worst[1]["click_to_order"])))

    for spec, m in zip(METRICS, (pcu, acu, uv, views, avg_watch, interaction, follow, ctr,
                                 click_to_order, watch_to_order, gmv, gpm, uv_value, aov,
                                 exposures, entry_rate, natural_share, paid_share, ad_spend, roi,
                                 weakest),
                       strict=True):
        f.set(spec.name, m.value, m.reason)

    f.series.extend(row_series(table, intervals))
    f.details.update({
        "file": name,
        "format": table.format,
        "encoding": table.encoding,
        "rows": len(table),
        "columns": dict(table.headers),
        "ignored_columns": list(table.ignored_columns),
        "time": (f"clock time, counted from the first row ({table.time_first})"
                 if table.time_kind == "clock" else "offsets from the recording start"),
        "last_row_interval_s": None if intervals is None else float(intervals[-1]),
        "uv_from": uv_from,
        "views_from": views_from,
        "watch_to_order_from": buyers_column,
    })
    if table.totals:
        f.details["totals"] = {
            c: {"export": v, "rows": total(c) if c in cols else None}
            for c, v in table.totals.items()
        }
    if products is not None:
        f.details["per_product"] = products
    return f


def _weakest_product(products: dict[str, dict[str, Any]] | None,
                     missing: Message | None) -> _Measure:
    """The lowest click-to-order among the products that had clicks."""
    if missing is not None or products is None:
        return _Measure(None, missing or "")
    rates = [p["click_to_order"] for p in products.values() if p.get("click_to_order") is not None]
    if not rates:
        return _Measure(None, M("undefined", "undefined: {why}",
                                why=M("why", "no product had clicks")))
    return _Measure(min(rates))


def row_series(table: OpsTable, intervals: np.ndarray | None) -> list[Series]:
    """Online (time-weighted mean), orders and gmv (sums of the rows starting in each bin)
    at the export's own resolution: bins as wide as its usual row gap (a minute for a
    per-minute dashboard export, 10 s for a recorded take), so a short take is not one bar."""
    t = table.t
    width = float(np.median(np.diff(t))) if len(t) >= 2 else 60.0
    width = max(1.0, round(width))
    start = np.floor(t[0] / width) * width
    end = t[-1] + (intervals[-1] if intervals is not None else 0.0)
    n = max(1, int(np.ceil((end - start) / width - 1e-9)))
    if n > MAX_SERIES_POINTS:  # a typo'd time (a year-long session) must not fill memory
        return []
    edges = start + width * np.arange(n + 1)
    bins = np.clip(((t - start) // width).astype(np.int64), 0, n - 1)
    times = tuple(float(x) for x in edges[:-1])
    each = "minute" if width == 60 else f"{width:g} s"
    out: list[Series] = []
    if "online" in table.columns and intervals is not None:
        online = table.columns["online"]
        knots = np.append(t, end)
        area = np.concatenate(([0.0], np.cumsum(online * intervals)))
        covered = np.interp(edges, knots, knots)  # clamp the edges to the table's span
        integral = np.interp(edges, knots, area)
        length = np.diff(covered)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.diff(integral) / length
        out.append(Series("ops.online", "viewers", times,
                          tuple(float(v) if length[i] > 0 else None for i, v in enumerate(mean)),
                          title=N_("Viewers online")))
    # The usual minute bins have titles in the catalog; other widths say theirs in English.
    per_minute = {"orders": N_("Orders per minute"), "gmv": N_("GMV per minute")}
    for column, unit, title in (("orders", "orders", f"Orders per {each}"),
                                ("gmv", "currency", f"GMV per {each}")):
        title = per_minute[column] if width == 60 else title
        if column in table.columns:
            sums = np.bincount(bins, weights=table.columns[column], minlength=n)
            out.append(Series(f"ops.{column}", unit, times,
                              tuple(float(v) for v in sums), title=title))
    return out


def per_product(table: OpsTable) -> dict[str, dict[str, Any]]:
    """Sums of the funnel columns over the rows about each product (in first-seen order),
    and each product's click-through (``ctr``) and ``click_to_order`` where defined."""
    assert table.product_codes is not None
    codes = table.product_codes
    named = codes >= 0
    n = len(table.product_names)
    sums = {"rows": np.bincount(codes[named], minlength=n).astype(float)}
    for k in ("product_impressions", "product_clicks", "orders", "buyers", "gmv"):
        if k in table.columns:
            sums[k] = np.bincount(codes[named], weights=table.columns[k][named], minlength=n)
    out: dict[str, dict[str, float]] = {}
    for i, name in enumerate(table.product_names):
        row: dict[str, Any] = {k: float(v[i]) for k, v in sums.items()}
        # product-level conversion: each product's own funnel (None where undefined)
        if "product_clicks" in sums and "product_impressions" in sums:
            row["ctr"] = (row["product_clicks"] / row["product_impressions"]
                          if row["product_impressions"] else None)
        if "orders" in sums and "product_clicks" in sums:
            row["click_to_order"] = (row["orders"] / row["product_clicks"]
                                     if row["product_clicks"] else None)
        out[name] = row
    return out


def mmss(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
