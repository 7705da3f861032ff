"""The monthly report: its figures as of an instant, and the PDF drawn from them.

    made = monthly_report("2026-03", cfg, lang="en")
    made.figures  # MonthlyFigures, every section as its service counts it
    made.pdf      # bytes: the same for the same month, instant, language and threshold
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.config import Settings
from shared.reports.figures import MonthlyFigures, monthly_figures
from shared.reports.labels import LANGUAGES
from shared.reports.pdf import render_pdf


@dataclass(frozen=True)
class MonthlyReport:
    figures: MonthlyFigures
    lang: str
    threshold: int
    pdf: bytes


def monthly_report(month: str, cfg: Settings, lang: str = "pl", as_of: datetime | None = None,
                   threshold: int | None = None, now: datetime | None = None) -> MonthlyReport:
    if lang not in LANGUAGES:
        raise ValueError(f"no report language {lang!r}: one of {', '.join(LANGUAGES)}")
    small = cfg.report_small_cells if threshold is None else threshold
    figures = monthly_figures(month, cfg, as_of=as_of, now=now)
    return MonthlyReport(figures, lang, small, render_pdf(figures, lang, small))
