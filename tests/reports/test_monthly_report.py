"""Issue 16: the monthly report for a demo month. Made by the real `haven report monthly`
on the demo's stores: the PDF renders (pdftoppm), its figures are the services' own read
models and what the events say when counted again, outreach is in it, and the same month
and instant give the same bytes -- also after more has been recorded for that month."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from shared.bootstrap import build_application
from shared.reports.figures import month_bounds, monthly_figures
from tests.reports import recount
from tests.reports.conftest import OPERATOR
from tests.reports.support import haven_report, live_views


def pdftoppm(pdf: Path, into: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(into / "page")],
                   check=True, timeout=120)
    return sorted(into.glob("page-*.png"))


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, timeout=120,
                          capture_output=True, text=True).stdout


def test_the_report_renders_every_page(demo_month, tmp_path):
    pdf = tmp_path / "report.pdf"
    haven_report(demo_month.cfg, demo_month.month, pdf, demo_month.as_of, lang="pl")
    pages = pdftoppm(pdf, tmp_path)
    assert len(pages) == 5  # key figures, helpline, casework, shelter and legal, outreach
    for page in pages:
        with Image.open(page) as image:
            assert image.size[1] > image.size[0]  # A4, upright
            low, _ = image.convert("L").getextrema()
            assert low < 128, f"{page.name} is blank"
    text = pdftext(pdf)
    assert "Sprawozdanie miesięczne" in text and "Kontakty według kanału" in text


def test_the_figures_are_the_read_models_and_the_events_counted_again(demo_month):
    cfg, month = demo_month.cfg, demo_month.month
    as_of = datetime.now(UTC)
    start, end = month_bounds(month)
    report = monthly_figures(month, cfg, as_of=as_of)
    assert all(s.figures is not None for s in report.sections.values()), report.sections
    helpline, casework = report.figures("helpline"), report.figures("casework")
    outreach, shelter, legal = (report.figures(s) for s in ("outreach", "shelter", "legal"))
    assert helpline and casework and outreach and shelter and legal

    with live_views("intake", cfg) as views:
        assert helpline == views.helpline_stats(month)
        assert outreach == views.outreach_stats(month)
    with live_views("casework", cfg) as views:
        assert casework == views.monthly_figures(month, as_of)
    with live_views("shelter", cfg) as views:
        census = views.census(start.date(), (end - timedelta(days=1)).date())
        assert shelter["bed_nights"] == census["bed_nights"]
        assert shelter["peak_beds_occupied"] == max(d["bed_nights"] for d in census["days"])
    with live_views("legal", cfg) as views:
        assert legal["hearings"] == len(views.hearings(start, end)["items"])

    counted = recount.helpline(cfg, as_of, start, end)
    assert {k: helpline[k] for k in counted} == counted
    assert helpline["contacts"] > 100  # the demo's helpline month, not an empty one
    counted = recount.casework(cfg, as_of, start, end)
    by_continent = {continent: sum(countries.values())
                    for continent, countries in casework["new_cases_by_origin"].items()}
    assert by_continent == counted.pop("new_cases_by_continent")
    assert {k: casework[k] for k in counted} == counted
    assert casework["new_cases"] > 0 and casework["services_by_type"]
    counted = recount.outreach(cfg, as_of, start, end)
    assert {k: outreach[k] for k in counted} == counted
    assert outreach["prevention_activities"] >= demo_month.activities
    assert {k: legal[k] for k in ("hearings", "hearings_by_type")} == \
        recount.legal(cfg, as_of, start, end)


@pytest.mark.parametrize(("lang", "heading", "kind"), [
    ("en", "Consultations and prevention", "training"),
    ("pl", "Konsultacje i profilaktyka", "szkolenie")])
def test_outreach_is_in_the_report(demo_month, tmp_path, lang, heading, kind):
    pdf = tmp_path / "report.pdf"
    haven_report(demo_month.cfg, demo_month.month, pdf, demo_month.as_of, lang=lang)
    text = pdftext(pdf)
    assert heading in text
    kinds = [line.split() for line in text.splitlines() if line.strip().startswith(kind)]
    assert kinds == [[kind, "*", "31", "60"]]  # one training: a small cell, 31 came, 60 given
    totals = [line.split() for line in text.splitlines()
              if line.strip().startswith(("Total", "Razem"))]
    # three activities in all: fewer than the threshold of five, so hidden too
    assert [t[1:] for t in totals] == [["*", str(demo_month.participants), "584"]]


def test_the_same_month_and_instant_give_the_same_file_whenever_it_is_made(demo_month,
                                                                            tmp_path):
    first, second, now = (tmp_path / n for n in ("first.pdf", "second.pdf", "now.pdf"))
    haven_report(demo_month.cfg, demo_month.month, first, demo_month.as_of, hash_seed="1")
    late = build_application("intake", demo_month.cfg)  # recorded for the month, but later
    try:
        late.record_prevention_activity(
            OPERATOR, kind="seminar", title="Recorded a week late", audience="social_services",
            held_at=month_bounds(demo_month.month)[0] + timedelta(days=14), participants=40,
            materials_distributed=0, language="pl")
    finally:
        late.close()
    haven_report(demo_month.cfg, demo_month.month, second, demo_month.as_of, hash_seed="2")
    assert first.read_bytes() == second.read_bytes()
    haven_report(demo_month.cfg, demo_month.month, now, datetime.now(UTC))
    assert "seminar" in pdftext(now) and "seminar" not in pdftext(first)
