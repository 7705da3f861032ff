"""Demo data for `haven dev`: three months of helpline traffic at the centre's volume.

About 700 contacts a month, mostly by phone, in the languages of the centre's
clients; some screened, about a dozen a month referred to casework; missed
calls with callbacks; three shifts a day with the odd gap in coverage. Every
name and number is invented.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.application import Intake
from shared.audit import CommandContext
from shared.config import Settings

CONTACTS_PER_MONTH = 700
MONTHS = 3
OPERATORS = [f"op-{n:02d}" for n in range(1, 9)]

CHANNELS = {"phone": 80, "email": 8, "chat": 5, "in_person": 3, "mail": 2, "sms": 2}
LANGUAGES = {"pl": 45, "uk": 20, "ru": 8, "en": 8, "ro": 4, "bg": 3, "vi": 3, "be": 2,
             "tr": 2, "zh": 1, "th": 1, "mn": 1, "uz": 1, "az": 1}
TOPICS = {"prevention_info": 30, "safe_work_abroad": 25, "victim_support": 18,
          "legal_question": 10, "institutional_consultation": 8, "emergency": 4, "other": 5}
CALLERS = {"potential_victim": 30, "family_or_friend": 20, "professional": 15,
           "institution": 10, "witness": 5, "anonymous": 15, "other": 5}
# The countries the centre's clients come from (its own slides), Europe first as there.
CITIZENSHIP = {"UA": 24, "BY": 7, "BG": 7, "RO": 7, "MD": 6, "LT": 3, "RU": 3, "DE": 1, "TR": 2,
               "VN": 6, "PH": 5, "TH": 4, "UZ": 4, "MN": 3, "CN": 3, "BD": 2, "TJ": 2, "AZ": 1,
               "NG": 5, "UG": 2, "EG": 1, "DJ": 1}
EXPLOITATION = {"ForcedLabour": 55, "SexualExploitation": 25, "ForcedCriminality": 7,
                "ForcedBegging": 5, "Servitude": 4, "ForcedMarriage": 4}
GIVEN = ["Olena", "Iryna", "Maria", "Ana", "Nguyen", "Svetlana", "Ion", "Dmytro", "Grace",
         "Aigerim", "Somchai", "Elena", "Yusuf", "Bat-Erdene"]
FAMILY = ["Kovalenko", "Popescu", "Ivanova", "Tran", "Petrov", "Okafor", "Boonmee",
          "Rahimov", "Dimitrova", "Shevchenko", "Ceban", "Batbayar"]
SUMMARIES = {
    "prevention_info": "Asked how to check a job offer in {country} before travelling.",
    "safe_work_abroad": "Wants to work abroad; went through the warning signs of recruitment.",
    "victim_support": "Caller describes unpaid work and a held passport at a farm.",
    "legal_question": "Questions about residence rights while testifying.",
    "institutional_consultation": "Labour inspector consulting on indicators at a site.",
    "emergency": "Person locked in accommodation, asks for help leaving tonight.",
    "other": "General enquiry about the centre's services.",
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ctx(operator: str) -> CommandContext:
    return CommandContext(actor_id=operator, actor_role="helpline_operator",
                          command="load_demo", reason="demo_data")


def load_demo(cfg: Settings, now: datetime | None = None, seed: int = 2009,
              between: Callable[[], None] = lambda: None) -> int:
    """Load the demo into intake's store; returns the number of contacts logged.

    `between` runs after each contact: a running platform passes a yield to its
    other green threads, since SQLite calls block the whole process while they run.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    end = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=30 * MONTHS)
    app = Intake(cfg)
    try:
        _shifts(app, rng, start, end)
        logged = 0
        span = (end - start).total_seconds()
        # In time order, as the calls came: casework numbers the cases it opens as it goes.
        for offset in sorted(rng.uniform(0, span) for _ in range(CONTACTS_PER_MONTH * MONTHS)):
            logged += _contact(app, rng, start + timedelta(seconds=offset))
            between()
        return logged
    finally:
        app.close()


def _shifts(app: Intake, rng: random.Random, start: datetime, end: datetime) -> None:
    at = start.replace(hour=6)
    while at < end:
        operator = rng.choice(OPERATORS)
        ctx = _ctx(operator)
        # Now and then a shift starts late: the gap the coverage view must show.
        late = timedelta(minutes=rng.choice([0] * 30 + [25, 50]))
        shift = app.start_shift(ctx, started_at=at + late)["shift_id"]
        app.end_shift(ctx, shift, ended_at=at + timedelta(hours=8))
        at += timedelta(hours=8)


def _contact(app: Intake, rng: random.Random, at: datetime) -> int:
    operator = rng.choice(OPERATORS)
    ctx = _ctx(operator)
    channel = _pick(rng, CHANNELS)
    if channel == "phone" and rng.random() < 0.05:
        number = f"+48 5{rng.randrange(10**7, 10**8)}"
        missed = app.record_missed_call(ctx, channel="phone", missed_at=at,
                                        callback_contact=number)["missed_call_id"]
        at += timedelta(minutes=rng.randrange(5, 90))
        contact = _log(app, rng, ctx, channel, at, "outbound")
        app.complete_callback(ctx, missed, contact, done_at=at + timedelta(minutes=1))
        return 1
    _log(app, rng, ctx, channel, at, "inbound")
    return 1


def _log(app: Intake, rng: random.Random, ctx: CommandContext, channel: str, at: datetime,
         direction: str) -> Any:
    topic = _pick(rng, TOPICS)
    caller = _pick(rng, CALLERS)
    urgency = "emergency" if topic == "emergency" else rng.choice(["routine"] * 5 + ["urgent"])
    country = _pick(rng, CITIZENSHIP)
    minutes = rng.randrange(3, 40)
    contact = app.log_contact(
        ctx, channel=channel, direction=direction, started_at=at,
        ended_at=at + timedelta(minutes=minutes), language=_pick(rng, LANGUAGES),
        interpreter_used=rng.random() < 0.15, caller_type=caller, topic=topic,
        urgency=urgency, summary=SUMMARIES[topic].format(country=country),
        callback_contact=None)["contact_id"]
    # About a dozen referrals a month: the centre's ~12 new cases.
    referred = caller == "potential_victim" and topic in ("victim_support", "emergency") \
        and rng.random() < 0.22
    if referred or (topic == "victim_support" and rng.random() < 0.3):
        app.screen_contact(ctx, contact, indicators=rng.sample(
            ["deception", "retained_documents", "withheld_wages", "debt_bondage",
             "restricted_movement", "intimidation_and_threats"], k=rng.randrange(1, 4)),
            assessment="presumed_victim" if referred else rng.choice(["unclear", "not_a_victim"]),
            screened_at=at + timedelta(minutes=minutes - 1))
    if referred:
        birth_year = rng.randrange(1970, 2006)
        app.refer_to_casework(
            ctx, contact, person={"given_name": rng.choice(GIVEN),
                                  "family_name": rng.choice(FAMILY)},
            birth_year=birth_year, gender=rng.choice(["Female"] * 3 + ["Male"]),
            citizenship=country, languages=[_pick(rng, LANGUAGES)],
            exploitation_types=[_pick(rng, EXPLOITATION)], urgency=None, referred_at=at + timedelta(
                minutes=minutes))
    outcome = "referred_to_casework" if referred else rng.choice(
        ["information_given"] * 6 + ["referred_externally", "no_action"]
        + (["crisis_intervention"] if topic == "emergency" else []))
    app.close_contact(ctx, contact, outcome=outcome, ended_at=at + timedelta(minutes=minutes))
    return contact
