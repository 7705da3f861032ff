"""The monthly report as a PDF: charts and tables drawn with matplotlib, written with its
PDF backend.

Deterministic: no creation date, a fixed producer, one bundled font (DejaVu Sans, which
has every Polish letter) embedded as TrueType, a fixed hash salt, and nothing taken from
the clock or the machine -- the same figures give the same bytes, wherever and whenever
the report is made. Every breakdown goes through small-cell suppression (suppression.py)
before it is drawn; the key figures on the first page are totals.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from shared.reports.figures import MonthlyFigures, Section
from shared.reports.labels import month_name, term
from shared.reports.suppression import SUPPRESSED, Table, shown, suppress

A4 = (8.27, 11.69)
STYLE: Any = {  # Any: matplotlib types the rc keys as a Literal of every name it knows
    "pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 8,
    "svg.hashsalt": "haven-report", "axes.spines.top": False, "axes.spines.right": False,
    "axes.titlesize": 9, "axes.titleweight": "bold", "hatch.linewidth": 0.5}
METADATA = {"Creator": "Haven", "Producer": "Haven", "CreationDate": None, "ModDate": None}
BAR, MARK = "#3b6ea5", "#9a9a9a"
TOP_LANGUAGES = 12
# Draws one section on a page from its figures.
Draw = Callable[[Any, Mapping[str, Any]], None]
CASE_IDENTITY = ("pending_cases", "new_cases", "reopened_cases", "closed_cases",
                 "open_at_month_end")


class Report:
    """One report being drawn: its figures, language and suppression threshold."""

    def __init__(self, figures: MonthlyFigures, lang: str, threshold: int):
        self.figures, self.lang, self.threshold = figures, lang, threshold
        self.pages: list[Any] = []

    def t(self, key: str, **values: object) -> str:
        return term(self.lang, key, **values)

    def table(self, counts: Mapping[str, int]) -> Table:
        return suppress(counts, self.threshold)

    # -- pages ---------------------------------------------------------------------------
    def page(self, heading: str) -> Any:
        from matplotlib.figure import Figure

        fig = Figure(figsize=A4)
        fig.text(0.07, 0.955, heading, fontsize=14, weight="bold")
        fig.text(0.07, 0.935, f"{self.t('title')} — {month_name(self.lang, self.figures.month)}"
                 f"  ·  {self.t('as_of')} {self.figures.as_of:%Y-%m-%d %H:%M} UTC", fontsize=7,
                 color="#555555")
        fig.text(0.93, 0.02, self.t("page", n=len(self.pages) + 1), fontsize=7, ha="right",
                 color="#555555")
        fig.text(0.07, 0.02, self.t("suppression", n=self.threshold), fontsize=7,
                 color="#555555")
        self.pages.append(fig)
        return fig

    def section_page(self, name: str, draw: Draw) -> None:
        """A page of its own for one service's section."""
        self.section(self.page(self.t(name)), name, 0.88, draw)

    def section(self, fig: Any, name: str, y: float, draw: Draw) -> None:
        """One service's section drawn from its figures by `draw(fig, figures)`; where the
        service did not answer, its name and why, at height `y`, instead."""
        section = self.figures.sections[name]
        if section.figures is None:
            self.missing(fig, section, y)
        else:
            draw(fig, section.figures)

    def missing(self, fig: Any, section: Section, y: float) -> None:
        fig.text(0.07, y, self.t(section.name), fontsize=11, weight="bold")
        fig.text(0.07, y - 0.025, self.t("missing", why=section.missing), fontsize=9,
                 color="#8a1c1c")

    # -- drawing ------------------------------------------------------------------------
    def bars(self, fig: Any, box: tuple[float, float, float, float], title: str,
             counts: Mapping[str, int], label: Callable[[str], str],
             with_total: bool = True) -> Table:
        """Horizontal bars of a suppressed table; a suppressed cell shows SUPPRESSED.
        `with_total` False where the bars are not parts of a whole (cases pending, new...)."""
        from matplotlib.ticker import MaxNLocator

        table = self.table(counts)
        ax = fig.add_axes(box)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        keys = list(table.cells)
        if not keys:  # an empty frame would read as a drawing error
            ax.set_yticks([])
            ax.text(0.5, 0.5, self.t("none_recorded"), ha="center", va="center",
                    transform=ax.transAxes, color=MARK)
        values = [table.cells[k] or 0 for k in keys]
        ax.barh(range(len(keys)), values, color=BAR, height=0.6)
        ax.set_yticks(range(len(keys)), [label(k) for k in keys])
        ax.invert_yaxis()
        top = max(values, default=0) or 1
        ax.set_xlim(0, top * 1.18)
        for i, key in enumerate(keys):
            ax.text(values[i] + top * 0.01, i, table.shown(key), va="center", fontsize=7,
                    color=MARK if table.cells[key] is None else "black")
        ax.set_title(f"{title}  ({self.t('total')}: {shown(table.total)})" if with_total
                     else title, loc="left")
        ax.tick_params(axis="x", labelsize=6)
        return table

    def grid(self, fig: Any, box: tuple[float, float, float, float], title: str,
             header: list[str], rows: list[list[str]]) -> None:
        ax = fig.add_axes(box)
        ax.axis("off")
        ax.set_title(title, loc="left")
        if rows:
            cells = ax.table(cellText=rows, colLabels=header, loc="upper left",
                             cellLoc="left", colLoc="left")
            cells.auto_set_font_size(False)
            cells.set_fontsize(7)
            cells.scale(1, 1.2)

    def render(self) -> bytes:
        import matplotlib
        from matplotlib.backends.backend_pdf import PdfPages

        buffer = io.BytesIO()
        with matplotlib.rc_context(STYLE):
            self.pages = []
            self.summary()
            self.section_page("helpline", self.helpline)
            self.section_page("casework", self.casework)
            self.shelter_and_legal()
            self.section_page("outreach", self.outreach)
            with PdfPages(buffer, metadata={**METADATA, "Title": self.t("title") + " "
                                            + self.figures.month}) as pdf:
                for fig in self.pages:
                    pdf.savefig(fig)
        return buffer.getvalue()

    # -- the sections ---------------------------------------------------------------------
    def summary(self) -> None:
        f = self.figures
        fig = self.page(f"{self.t('title')} — {month_name(self.lang, f.month)}")
        fig.text(0.07, 0.91, self.t("centre"), fontsize=9)
        if f.provisional:
            fig.text(0.07, 0.885, self.t("provisional"), fontsize=10, weight="bold",
                     color="#8a1c1c")
        rows = [[self.t(key), value] for key, value in self.key_figures()]
        self.grid(fig, (0.07, 0.35, 0.86, 0.5), self.t("summary"),
                  [self.t("figure"), self.t("count")], rows)
        sources = [self.t("source_line", service=s.service, events=s.events,
                          position=s.position) if s.figures is not None
                   else f"{s.service}: {self.t('missing', why=s.missing)}"
                   for s in dict((s.service, s) for s in f.sections.values()).values()]
        fig.text(0.07, 0.3, self.t("sources"), fontsize=9, weight="bold")
        for n, line in enumerate(sources):
            fig.text(0.07, 0.28 - n * 0.018, line, fontsize=7)

    def key_figures(self) -> list[tuple[str, str]]:
        """(label key, value) of the first page; a section not available shows a dash."""
        wanted = (("helpline", ("contacts", "missed_calls", "callbacks_done")),
                  ("casework", ("pending_cases", "new_cases", "reopened_cases",
                                "closed_cases", "open_at_month_end", "crisis_interventions",
                                "follow_ups_done", "follow_ups_overdue")),
                  ("shelter", ("bed_nights", "average_beds_occupied", "peak_beds_occupied")),
                  ("legal", ("hearings",)),
                  ("outreach", ("consultations", "prevention_activities", "participants",
                                "materials_distributed")))
        found = []
        for section, keys in wanted:
            figures = self.figures.figures(section)
            # The case counts add up (pending + new + reopened - closed = open at the end):
            # suppressed together, so that no hidden one follows from the others.
            linked = self.table({k: figures[k] for k in CASE_IDENTITY}) \
                if section == "casework" and figures is not None else None
            for key in keys:
                if figures is None:
                    found.append((key, "—"))
                elif linked is not None and key in CASE_IDENTITY:
                    found.append((key, linked.shown(key)))
                else:
                    found.append((key, self.cell(_headline(figures, key))))
        return found

    def cell(self, value: Any) -> str:
        """A key figure as published: a count of 1 .. threshold-1 is a small cell too
        (averages are not counts, and are shown as they are)."""
        if isinstance(value, int) and 0 < value < self.threshold:
            return SUPPRESSED
        return str(value)

    def helpline(self, fig: Any, h: Mapping[str, Any]) -> None:
        self.bars(fig, (0.3, 0.74, 0.62, 0.16), self.t("by_channel"), h["by_channel"],
                  lambda k: self.t(f"channel.{k}"))
        self.bars(fig, (0.3, 0.5, 0.62, 0.2), self.t("by_topic"), h["by_topic"],
                  lambda k: self.t(f"topic.{k}"))
        languages = sorted(h["by_language"].items(), key=lambda kv: (-kv[1], kv[0]))
        top = dict(languages[:TOP_LANGUAGES])
        rest = sum(n for _, n in languages[TOP_LANGUAGES:])
        if rest:
            top["other"] = rest
        self.bars(fig, (0.3, 0.08, 0.62, 0.38), self.t("by_language"), top,
                  lambda k: self.t("topic.other") if k == "other" else k)

    def casework(self, fig: Any, c: Mapping[str, Any]) -> None:
        self.bars(fig, (0.3, 0.77, 0.62, 0.13), self.t("cases"),
                  {k: c[k] for k in CASE_IDENTITY}, lambda k: self.t(f"chart.{k}"),
                  with_total=False)
        self.bars(fig, (0.3, 0.5, 0.62, 0.22), self.t("services_by_type"),
                  c["services_by_type"], lambda k: self.t(f"service.{k}"))
        continents = {k: sum(v.values()) for k, v in c["new_cases_by_origin"].items()}
        self.bars(fig, (0.3, 0.36, 0.62, 0.1), self.t("origin_continent"), continents,
                  lambda k: self.t(f"continent.{k}"))
        rows = []
        handled = c["handled_cases_by_origin"]
        for continent, countries in handled.items():
            table = self.table(countries)
            rows += [[self.t(f"continent.{continent}"), country, table.shown(country)]
                     for country in table.cells]
        self.grid(fig, (0.07, 0.08, 0.86, 0.24), self.t("origin_country"),
                  [self.t("continent"), self.t("country"), self.t("count")], rows[:24])

    def shelter_and_legal(self) -> None:
        fig = self.page(f"{self.t('shelter')} · {self.t('legal')}")
        self.section(fig, "shelter", 0.88, self.shelter)
        self.section(fig, "legal", 0.55, self.legal)

    def shelter(self, fig: Any, shelter: Mapping[str, Any]) -> None:
        self.bars(fig, (0.3, 0.7, 0.62, 0.18), self.t("bed_nights_by_shelter"),
                  shelter["bed_nights_by_shelter"], str)

    def legal(self, fig: Any, legal: Mapping[str, Any]) -> None:
        self.bars(fig, (0.3, 0.32, 0.62, 0.22), self.t("hearings_by_type"),
                  legal["hearings_by_type"], lambda k: self.t(f"hearing.{k}"))
        self.bars(fig, (0.3, 0.12, 0.62, 0.12), self.t("sessions_done"),
                  legal["sessions_done"], lambda k: self.t(f"session.{k}"))

    def outreach(self, fig: Any, o: Mapping[str, Any]) -> None:
        self.bars(fig, (0.34, 0.7, 0.58, 0.2), self.t("consultations_by_institution_type"),
                  o["consultations_by_institution_type"], lambda k: self.t(f"institution.{k}"))
        self.bars(fig, (0.34, 0.42, 0.58, 0.24), self.t("consultations_by_topic"),
                  o["consultations_by_topic"], lambda k: self.t(f"consultation.{k}"))
        kinds = o["prevention_by_kind"]
        columns = {name: self.table({k: v[name] for k, v in kinds.items()})
                   for name in ("activities", "participants", "materials_distributed")}
        rows = [[self.t(f"prevention.{kind}"), *(columns[name].shown(kind) for name in columns)]
                for kind in kinds]
        rows.append([self.t("total"), *(shown(columns[name].total) for name in columns)])
        self.grid(fig, (0.07, 0.1, 0.86, 0.26), self.t("prevention_by_kind"),
                  ["", *(self.t(name) for name in columns)], rows)


def _headline(figures: Mapping[str, Any], key: str) -> Any:
    value = figures.get(key)
    if key.startswith("follow_ups_"):
        value = figures["follow_ups"][key.removeprefix("follow_ups_")]
    if key == "crisis_interventions":
        value = figures[key]["count"]
    return value


def render_pdf(figures: MonthlyFigures, lang: str, threshold: int) -> bytes:
    """The report's PDF bytes: the same for the same figures, language and threshold."""
    return Report(figures, lang, threshold).render()


__all__ = ["SUPPRESSED", "render_pdf"]
