"""Demo data for `haven dev`: the legal work on the cases casework's demo worked on.

In embedded mode legal learns of casework's cases over the in-memory broker, as in
production. This demo waits for them, then gives about half a matter of the kinds the
centre handles -- criminal proceedings with the client's standing, labour and compensation
claims, residence procedures -- with representation, contacts with police and prosecutors,
hearings (held ones with their outcome and accompaniment, and some in the coming two weeks,
so this week's list and the reminders have something to show), deadlines, letters and a
disclosure on a consent recorded in casework. Every name is invented.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.utils import get_topic

from services.casework.application import Casework
from services.casework.domain import Case
from services.legal.application import Legal
from services.legal.domain import CaseRecord
from shared.audit import CommandContext
from shared.config import Settings
from shared.errors import RuleViolated
from shared.vocabulary import ChangeReason

LAWYERS = ["law-01", "law-02"]
SUPERVISOR = CommandContext(actor_id="sup-01", actor_role="supervisor", command="load_demo",
                            reason=ChangeReason.DEMO_DATA.value)
KINDS = {"criminal_proceedings": ("witness", "injured_party", "auxiliary_prosecutor"),
         "labour_claim": ("claimant",), "compensation_claim": ("claimant",),
         "residence_procedure": ("applicant",)}
COURTS = ["Sąd Okręgowy w Warszawie", "Sąd Rejonowy dla Warszawy-Śródmieścia",
          "Sąd Okręgowy w Krakowie", "Sąd Rejonowy w Poznaniu", "Sąd Okręgowy w Łodzi"]


def load_demo(cfg: Settings, now: datetime | None = None, seed: int = 2009,
              between: Callable[[], None] = lambda: None, wait_seconds: float = 60.0) -> int:
    """Legal work on about half of the cases legal knows; returns how many matters."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    app, casework = Legal(cfg), Casework(cfg)
    app.ask_casework = lambda ctx, case_id, purpose, recipient: casework.may_share(
        ctx, UUID(case_id), purpose, recipient)  # in one process: its application answers
    try:
        cases = _known_cases(app, casework, between, wait_seconds)
        now = now or datetime.now(UTC)
        opened = 0
        for case in cases:
            if rng.random() < 0.5:
                _work_on(app, casework, rng, case, now)
                opened += 1
                between()
        return opened
    finally:
        app.close()
        casework.close()


def _known_cases(app: Legal, casework: Casework, between: Callable[[], None],
                 wait_seconds: float) -> list[CaseRecord]:
    """The cases legal has heard of, once it has heard of every case casework opened (or
    the wait is over): casework's demo has run, its facts may still be on their way."""
    opened = len(casework.recorder.select_notifications(
        1, 100_000, topics=[get_topic(Case.CaseOpened)]))  # type: ignore[attr-defined]
    noted_topic = get_topic(CaseRecord.CaseOpenedNoted)  # type: ignore[attr-defined]
    deadline = time.monotonic() + wait_seconds
    while len(noted := app.recorder.select_notifications(1, 100_000, topics=[noted_topic])) \
            < opened and time.monotonic() < deadline:
        between()
        time.sleep(0.2)
    return [app.load(CaseRecord, n.originator_id, sealed=True) for n in noted]


def _work_on(app: Legal, casework: Casework, rng: random.Random, case: CaseRecord,
             now: datetime) -> None:
    lawyer = CommandContext(actor_id=rng.choice(LAWYERS), actor_role="lawyer",
                            command="load_demo", reason=ChangeReason.DEMO_DATA.value)
    kind = rng.choice(list(KINDS))
    opened = min((case.opened_at or now) + timedelta(days=rng.randrange(1, 6)),
                 now - timedelta(hours=1))
    matter = UUID(app.open_matter(lawyer, UUID(case.case_id), kind, opened_at=opened,
                                  standing=rng.choice(KINDS[kind]))["matter_id"])
    app.update_matter(lawyer, matter, court=rng.choice(COURTS),
                      docket_number=f"{rng.choice('IVX')} K {rng.randrange(100, 999)}/26",
                      stage=rng.choice(["investigation", "first_instance",
                                        "administrative_procedure"]))
    app.organise_representation(lawyer, matter, attorney="mec. Anna Zielińska",
                                representation=rng.choice(["pro_bono", "legal_aid"]),
                                power_of_attorney_on=opened.date())
    app.record_mediation_contact(lawyer, matter, authority=rng.choice(["police", "prosecutor"]),
                                 channel="phone", contacted_at=opened + timedelta(hours=20),
                                 summary="Asked about the date of the next interview.")
    if now - opened > timedelta(days=10):  # one held already, the client accompanied
        held = opened + timedelta(days=rng.randrange(7, (now - opened).days - 1))
        _held(app, lawyer, rng, matter, _court_day(held, 9, later=False))
    upcoming = _court_day(now + timedelta(days=rng.randrange(1, 14)), 8 + rng.randrange(0, 6))
    hearing = _hearing(app, lawyer, rng, matter, upcoming, preparation_days=2)
    app.set_deadline(lawyer, matter, "evidence_submission",
                     due_on=(now + timedelta(days=rng.randrange(-3, 20))).date())
    letter = app.draft_letter(lawyer, matter, "hearing_notice", "client", "client",
                              languages=["uk", "ru", "vi", "en"], hearing_id=hearing,
                              client_name="(as in the case file)", signed_by="mec. A. Zielińska")
    app.send_letter(lawyer, UUID(letter["letter_id"]))
    if rng.random() < 0.6:
        casework.record_consent(SUPERVISOR, UUID(case.case_id), "share_with_prosecutor", "any",
                                "granted")
        app.share_with_authority(lawyer, matter, recipient_type="prosecutor",
                                 recipient="prosecutor-warszawa",
                                 document="medical opinion on the client's injuries")


def _court_day(day: datetime, hour: int, later: bool = True) -> datetime:
    """That day at `hour` (UTC); on a weekend, the Monday after (or the Friday before)."""
    day = day.replace(hour=hour, minute=0, second=0, microsecond=0)
    if day.weekday() < 5:
        return day
    return day + timedelta(days=7 - day.weekday() if later else 4 - day.weekday())


def _held(app: Legal, lawyer: CommandContext, rng: random.Random, matter: UUID,
          held: datetime) -> None:
    hearing = _hearing(app, lawyer, rng, matter, held, preparation_days=None)
    try:
        session = app.schedule_session(lawyer, matter, "accompaniment", lawyer.actor_id,
                                       hearing_id=hearing)["session_id"]
        app.record_session_done(lawyer, UUID(session), done_at=held + timedelta(hours=2))
    except RuleViolated:
        pass  # the lawyer was at another hearing then: this one went unaccompanied
    app.record_hearing_outcome(lawyer, hearing, rng.choice(["held", "adjourned"]),
                               recorded_at=held + timedelta(hours=3))


def _hearing(app: Legal, lawyer: CommandContext, rng: random.Random, matter: UUID,
             starts_at: datetime, preparation_days: int | None) -> UUID:
    interpreter = rng.random() < 0.7
    return UUID(app.schedule_hearing(
        lawyer, matter, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
        hearing_type=rng.choice(["witness_examination", "main_trial", "preliminary"]),
        court=rng.choice(COURTS), time_zone="Europe/Warsaw", room=str(rng.randrange(1, 300)),
        interpreter_needed=interpreter, interpreter_language="uk" if interpreter else None,
        accompaniment_needed=True, measures_requested=["separate_waiting_room", "video_link"],
        preparation_days=preparation_days)["hearing_id"])
