"""Casework's read models: the case list, follow-ups, workload and the monthly figures."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from services.casework.application import Casework
from services.casework.projections import projections
from services.casework.queries import CaseworkViews
from services.casework.tests.conftest import (
    CASEWORKER,
    COLLEAGUE,
    SECOND_SUPERVISOR,
    SUPERVISOR,
    T0,
    Clock,
    new_client,
    opened,
)
from shared.projections import ProjectionRunner

H, D = timedelta(hours=1), timedelta(days=1)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def refs(page) -> list[str]:
    return [row["reference"] for row in page["items"]]


def test_the_case_list_is_newest_first_and_filtered(app, views, clock):
    clock.now = T0
    first, _ = opened(app, origin_country="UA", urgency="emergency")
    clock.now = T0 + H
    second, _ = opened(app, ctx=COLLEAGUE, origin_country="VN",
                       exploitation_types=["SexualExploitation", "ForcedLabour"])
    clock.now = T0 + 2 * H
    third, _ = opened(app, ctx=SUPERVISOR, origin_country="NG", urgency="routine",
                      exploitation_types=["ForcedBegging"])
    app.close_case(CASEWORKER, uuid.UUID(first.case_id), "goals_achieved")
    assert refs(views.case_list()) == ["KC-2026-0003", "KC-2026-0002", "KC-2026-0001"]
    assert refs(views.case_list(page=2, page_size=2)) == ["KC-2026-0001"]
    assert refs(views.case_list(status="Closed")) == ["KC-2026-0001"]
    assert refs(views.case_list(caseworker_id="cw-2")) == ["KC-2026-0002"]
    assert refs(views.case_list(status="Open")) == ["KC-2026-0003"]  # nobody assigned
    assert refs(views.case_list(country="VN")) == ["KC-2026-0002"]
    assert refs(views.case_list(exploitation_type="ForcedLabour")) == [
        "KC-2026-0002", "KC-2026-0001"]
    assert refs(views.case_list(urgency="emergency")) == ["KC-2026-0001"]
    assert refs(views.case_list(date_from=T0 + H, date_to=T0 + 2 * H)) == ["KC-2026-0002"]
    row = views.case_list(country="VN")["items"][0]
    assert row["continent"] == "Asia"
    assert row["exploitation_types"] == ["ForcedLabour", "SexualExploitation"]
    assert not {"given_name", "family_name", "phone", "address"} & set(row)
    assert third.reference == "KC-2026-0003"


def test_possible_duplicates_are_listed_for_review_until_reviewed(app, views):
    person = new_client()
    opened(app, client=dict(person))
    duplicate, _ = opened(app, client=dict(person))
    assert refs(views.case_list(possible_duplicate=True)) == [duplicate.reference]
    app.review_duplicate(SUPERVISOR, uuid.UUID(duplicate.case_id), "same_person")
    assert views.case_list(possible_duplicate=True)["total"] == 0


def test_follow_ups_to_do_and_the_caseworkers_workload(app, views, clock):
    mine, _ = opened(app, urgency="emergency")
    other, _ = opened(app, ctx=COLLEAGUE)
    unassigned, _ = opened(app, ctx=SUPERVISOR)
    soon = app.schedule_follow_up(CASEWORKER, uuid.UUID(mine.case_id), clock() + D)
    app.schedule_follow_up(CASEWORKER, uuid.UUID(mine.case_id), clock() + 9 * D)
    app.schedule_follow_up(COLLEAGUE, uuid.UUID(other.case_id), clock() + 2 * D)
    clock.advance(days=3)
    overdue = views.follow_ups(clock(), overdue_only=True)["items"]
    assert [(f["reference"], f["overdue"]) for f in overdue] == [
        (mine.reference, True), (other.reference, True)]
    assert len(views.follow_ups(clock(), caseworker_id="cw-1")["items"]) == 2
    app.complete_follow_up(CASEWORKER, uuid.UUID(mine.case_id), uuid.UUID(soon["follow_up_id"]))
    load = views.workload(clock())
    assert load["unassigned_cases"] == 1 and unassigned.case_id
    assert load["items"] == [
        {"caseworker_id": "cw-1", "open_cases": 1, "by_status": {"Active": 1},
         "by_urgency": {"emergency": 1}, "overdue_follow_ups": 0},
        {"caseworker_id": "cw-2", "open_cases": 1, "by_status": {"Active": 1},
         "by_urgency": {"urgent": 1}, "overdue_follow_ups": 1}]
    assert [p["caseworker_id"] for p in views.workload(clock(), "cw-2")["items"]] == ["cw-2"]


def march_of_a_centre(app, clock) -> dict[str, str]:
    """February: one case carried into March. March: three new cases, one closed."""
    clock.now = datetime(2026, 2, 10, 9, tzinfo=UTC)
    carried, _ = opened(app, origin_country="BY")
    clock.now = T0  # 2 March
    ukraine, _ = opened(app, origin_country="UA")
    clock.now = T0 + 5 * D
    vietnam, _ = opened(app, origin_country="VN")
    clock.now = T0 + 6 * D
    nigeria, _ = opened(app, origin_country="NG")
    clock.advance(minutes=45)
    app.record_service(CASEWORKER, uuid.UUID(nigeria.case_id), "crisis_intervention")
    app.record_service(CASEWORKER, uuid.UUID(vietnam.case_id), "crisis_intervention",
                       provided_at=T0 + 5 * D + 15 * timedelta(minutes=1))
    app.record_service(CASEWORKER, uuid.UUID(ukraine.case_id), "social_counselling")
    app.record_service(CASEWORKER, uuid.UUID(ukraine.case_id), "social_counselling")
    due = app.schedule_follow_up(CASEWORKER, uuid.UUID(carried.case_id), T0 + 10 * D)
    app.schedule_follow_up(CASEWORKER, uuid.UUID(ukraine.case_id), T0 + 12 * D)
    clock.now = T0 + 11 * D
    app.complete_follow_up(CASEWORKER, uuid.UUID(carried.case_id),
                           uuid.UUID(due["follow_up_id"]))
    clock.now = T0 + 20 * D
    app.close_case(CASEWORKER, uuid.UUID(vietnam.case_id), "repatriated")
    clock.now = APRIL + 2 * D
    return {"carried": carried.client_id, "ukraine": ukraine.client_id}


MARCH = {
    "month": "2026-03", "new_cases": 3, "pending_cases": 1, "open_at_month_end": 3,
    "reopened_cases": 0, "closed_cases": 1, "follow_ups": {"scheduled": 2, "done": 1, "overdue": 1},
    "services_by_type": {"crisis_intervention": 2, "social_counselling": 2},
    "crisis_interventions": {"count": 2, "median_response_minutes": 30.0},
    "new_cases_by_origin": {"Africa": {"NG": 1}, "Asia": {"VN": 1}, "Europe": {"UA": 1}},
    "handled_cases_by_origin": {"Africa": {"NG": 1}, "Asia": {"VN": 1},
                                "Europe": {"BY": 1, "UA": 1}},
}


def test_the_centres_monthly_figures(app, views, clock):
    march_of_a_centre(app, clock)
    assert views.monthly_figures("2026-03", clock()) == MARCH
    february = views.monthly_figures("2026-02", clock())
    assert (february["new_cases"], february["pending_cases"], february["open_at_month_end"]) \
        == (1, 0, 1)
    assert views.monthly_figures("2026-05", clock())["handled_cases_by_origin"] == {
        "Africa": {"NG": 1}, "Europe": {"BY": 1, "UA": 1}}


def adds_up(figures) -> bool:
    """The identity the centre's report rests on (issue 11)."""
    return (figures["pending_cases"] + figures["new_cases"] + figures["reopened_cases"]
            - figures["closed_cases"]) == figures["open_at_month_end"]


def test_a_case_closed_and_reopened_counts_in_both_and_the_month_adds_up(app, views, clock):
    """Issue 11's report: pending 25, new 1, closed 1, open at month end 26 -- the reopening
    was in no figure. Here: one case carried in, closed and reopened in March, and a
    February case closed in February and reopened in March."""
    clock.now = datetime(2026, 2, 2, 9, tzinfo=UTC)
    carried, _ = opened(app, origin_country="BY")
    dormant, _ = opened(app, origin_country="UA")
    clock.now = datetime(2026, 2, 20, 9, tzinfo=UTC)
    app.close_case(CASEWORKER, uuid.UUID(dormant.case_id), "goals_achieved")
    clock.now = T0
    fresh, _ = opened(app, origin_country="VN")
    clock.now = T0 + 3 * D
    app.close_case(CASEWORKER, uuid.UUID(carried.case_id), "goals_achieved")
    clock.now = T0 + 9 * D
    app.reopen_case(CASEWORKER, uuid.UUID(carried.case_id))
    app.reopen_case(CASEWORKER, uuid.UUID(dormant.case_id))
    clock.now = APRIL + D

    march = views.monthly_figures("2026-03", clock())
    assert {k: march[k] for k in ("pending_cases", "new_cases", "reopened_cases",
                                  "closed_cases", "open_at_month_end")} == {
        "pending_cases": 1, "new_cases": 1, "reopened_cases": 2, "closed_cases": 1,
        "open_at_month_end": 3}
    assert all(adds_up(views.monthly_figures(month, clock()))
               for month in ("2026-01", "2026-02", "2026-03", "2026-04"))


def test_an_erasure_leaves_the_monthly_figures_as_they_were(app, views, clock):
    clients = march_of_a_centre(app, clock)
    for client_id in clients.values():
        app.request_erasure(CASEWORKER, uuid.UUID(client_id), "client_request")
        app.approve_erasure(SECOND_SUPERVISOR, uuid.UUID(client_id))
    assert views.monthly_figures("2026-03", clock()) == MARCH
    erased = [row for row in views.case_list()["items"] if row["erased"]]
    assert len(erased) == 2 and all(row["contact_id"] is None for row in erased)
    assert views.client_list(erased=True)["total"] == 2


def test_a_rebuild_and_a_second_catch_up_give_the_same_read_models(app, runner, views, clock):
    march_of_a_centre(app, clock)

    def snapshot():
        return (views.case_list(page_size=200), views.follow_ups(clock()),
                views.workload(clock()), views.monthly_figures("2026-03", clock()),
                views.client_list())

    before = snapshot()
    assert runner.catch_up() == 0  # nothing applied twice
    assert runner.rebuild() == app.recorder.max_notification_id()
    assert snapshot() == before


def test_the_same_read_models_work_on_sqlite_in_embedded_mode(cfg, tmp_path):
    embedded = Casework(dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path))
    embedded.clock = Clock(T0)
    runner = ProjectionRunner(embedded, projections())
    views = CaseworkViews(runner.store, runner.catch_up)
    try:
        o, _ = opened(embedded, origin_country="MN")
        embedded.record_service(CASEWORKER, uuid.UUID(o.case_id), "crisis_intervention")
        embedded.schedule_follow_up(CASEWORKER, uuid.UUID(o.case_id), T0 + D)
        assert views.case_list(country="MN")["items"][0]["reference"] == "KC-2026-0001"
        figures = views.monthly_figures("2026-03", T0 + 3 * D)
        assert figures["new_cases_by_origin"] == {"Asia": {"MN": 1}}
        assert figures["follow_ups"]["overdue"] == 1
        assert views.workload(T0 + 3 * D)["items"][0]["overdue_follow_ups"] == 1
        detail = embedded.case_detail(CASEWORKER, uuid.UUID(o.case_id), purpose="case_work")
        assert detail["person"]["given_name"] == "Olena"
        assert runner.rebuild() == embedded.recorder.max_notification_id()
    finally:
        runner.close()
        embedded.close()
