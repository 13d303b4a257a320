"""Everything the Success criteria page shows, computed once, and its figures as CSV."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from db.base import utcnow
from services.core.csv_export import frame_to_csv
from services.success.availability import burnup_frame, status_counts
from services.success.credential_flows import credential_flows_criterion
from services.success.criteria import breadth_criterion, documentation_criterion, executors_criterion, top10_criteria
from services.success.criterion import Criterion
from services.success.forecast import Forecast, forecast
from services.success.planning import planning_criterion

FIGURE_COLUMNS = ["section", "figure", "value", "numerator", "denominator", "detail"]


@dataclass(frozen=True)
class Report:
    as_of: datetime
    period_days: int | None
    criteria: tuple[Criterion, ...]
    status_counts: pd.DataFrame
    burnup: pd.DataFrame
    forecast: Forecast


def build_report(session: Session, *, now: datetime | None = None, period_days: int | None = 90,
                 guides_dir: Path | None = None) -> Report:
    """The six criteria (the first for both top-10 lists), pipeline counts, burn-up and forecast."""
    now = now or utcnow()
    seed, demand = top10_criteria(session)
    criteria = (seed, demand, credential_flows_criterion(session, now), executors_criterion(session),
                planning_criterion(session, now, period_days), documentation_criterion(session, guides_dir),
                breadth_criterion(session))
    return Report(now, period_days, criteria, status_counts(session), burnup_frame(session, now),
                  forecast(session, now))


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def figures_frame(report: Report) -> pd.DataFrame:
    """The page's numbers in one long table: criteria, pipeline, forecast, pace and the burn-up."""
    rows: list[dict[str, Any]] = [{"section": "report", "figure": "as of",
                                   "value": report.as_of.isoformat(timespec="seconds")}]
    rows += [{"section": "criteria", "figure": f"{c.key}. {c.title}", "value": c.value, "numerator": c.numerator,
              "denominator": c.denominator, "detail": c.note} for c in report.criteria]
    rows += [{"section": "pipeline", "figure": r["status"], "value": r["integrations"]}
             for r in report.status_counts.to_dict("records")]
    for o in report.forecast.outlooks:
        value = "reached" if o.reached else _day(o.expected)
        detail = (f"early {_day(o.dates['early'])}, late {_day(o.dates['late'])}; " if o.dates else "") + o.note
        rows.append({"section": "forecast", "figure": o.label, "value": value, "detail": detail})
    pace = report.forecast.pace
    if pace.median is not None:
        rows.append({"section": "forecast", "figure": "days per step (median)", "value": round(pace.median, 2),
                     "detail": f"25th-75th percentile {pace.low:.2f}-{pace.high:.2f}; {len(pace.samples)} steps "
                               f"observed; {pace.lanes} integration(s) built in parallel"})
    if not report.forecast.reason:
        for b in report.forecast.builds:
            rows.append({"section": "forecast build", "figure": b.name, "value": _day(b.finish["expected"]),
                         "detail": f"{b.status}, {b.remaining_steps} step(s) left; early {_day(b.finish['early'])}, "
                                   f"late {_day(b.finish['late'])}"})
    rows += [{"section": "burn-up", "figure": r["day"].isoformat(), "value": r["available"],
              "detail": f"{r['existing']} built before the Hub, {r['new']} in Phase 4"}
             for r in report.burnup.to_dict("records")]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS).astype({"numerator": "Int64", "denominator": "Int64"})


def figures_csv(report: Report) -> str:
    return frame_to_csv(figures_frame(report))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A criterion's rows as plain JSON values (dates as ISO 8601, missing values as null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))


def report_dict(report: Report) -> dict[str, Any]:
    """The criteria as plain values for scripts (`layers-hub success show --format json`): each with its
    numbers, how it is computed, its note and the rows behind it."""
    return {"as_of": report.as_of.isoformat(timespec="seconds"), "period_days": report.period_days,
            "criteria": [{"key": c.key, "number": c.number, "title": c.title, "measure": c.measure,
                          "numerator": c.numerator, "denominator": c.denominator, "value": c.value,
                          "share": c.share, "met": c.met, "note": c.note, "rows": _records(c.rows)}
                         for c in report.criteria]}
