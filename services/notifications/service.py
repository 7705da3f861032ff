"""notifications over nameko: every event its rules (rules.toml) or its knowledge of cases
and the desk need, the polls that fire reminders, escalate and send, and the inbox's RPCs.
Each consumer runs the one policy, `Notifications.react`, once per message; each RPC line
exposes one application method with the schemas of its input and answer (schemas.py);
who may call it is in policy.py.
"""

from __future__ import annotations

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_CLOSED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    EMERGENCY_ACCESS_GRANTED,
    FOLLOW_UP_DONE,
    FOLLOW_UP_SCHEDULED,
    LEGAL_ASSISTANCE_REQUESTED,
    REFLECTION_PERIOD_STARTED,
    SHELTER_PLACEMENT_REQUESTED,
    SUBJECT_ERASED,
)
from services.intake.contracts import (
    CALL_MISSED,
    CALLBACK_DONE,
    CONTACT_LOGGED,
    SHIFT_ENDED,
    SHIFT_STARTED,
)
from services.legal.contracts import (
    DEADLINE_CLOSED,
    DEADLINE_MOVED,
    DEADLINE_REMINDER_DUE,
    HEARING_CANCELLED,
    HEARING_MOVED,
    HEARING_REMINDER_DUE,
)
from services.notifications import schemas as s
from services.notifications.application import Notifications
from services.notifications.policy import POLICY
from services.notifications.poll import every
from services.shelter.contracts import (
    AVAILABILITY_CHANGED,
    LOCATION_COMPROMISED,
    PLACEMENT_DECLINED,
    PLACEMENT_HELD,
    PLACEMENT_WAITING_LONG,
    RESIDENT_ADMITTED,
)
from shared.service import HavenService, consume, expose

react = Notifications.react


class NotificationsService(HavenService):
    name = "notifications"
    policy = POLICY

    # -- the helpline ------------------------------------------------------------------------
    on_contact_logged = consume(CONTACT_LOGGED, react)
    on_call_missed = consume(CALL_MISSED, react)
    on_callback_done = consume(CALLBACK_DONE, react)
    on_shift_started = consume(SHIFT_STARTED, react)
    on_shift_ended = consume(SHIFT_ENDED, react)

    # -- casework ------------------------------------------------------------------------------
    on_case_opened = consume(CASE_OPENED, react)
    on_caseworker_assigned = consume(CASEWORKER_ASSIGNED, react)
    on_assignment_confirmed = consume(ASSIGNMENT_CONFIRMED, react)
    on_follow_up_scheduled = consume(FOLLOW_UP_SCHEDULED, react)
    on_follow_up_done = consume(FOLLOW_UP_DONE, react)
    on_reflection_period_started = consume(REFLECTION_PERIOD_STARTED, react)
    on_legal_assistance_requested = consume(LEGAL_ASSISTANCE_REQUESTED, react)
    on_shelter_placement_requested = consume(SHELTER_PLACEMENT_REQUESTED, react)
    on_emergency_access_granted = consume(EMERGENCY_ACCESS_GRANTED, react)
    on_case_closed = consume(CASE_CLOSED, react)
    on_subject_erased = consume(SUBJECT_ERASED, react)

    # -- legal -----------------------------------------------------------------------------------
    on_hearing_reminder_due = consume(HEARING_REMINDER_DUE, react)
    on_hearing_moved = consume(HEARING_MOVED, react)
    on_hearing_cancelled = consume(HEARING_CANCELLED, react)
    on_deadline_reminder_due = consume(DEADLINE_REMINDER_DUE, react)
    on_deadline_moved = consume(DEADLINE_MOVED, react)
    on_deadline_closed = consume(DEADLINE_CLOSED, react)

    # -- shelters ------------------------------------------------------------------------------
    on_availability_changed = consume(AVAILABILITY_CHANGED, react)
    on_placement_waiting_long = consume(PLACEMENT_WAITING_LONG, react)
    on_placement_held = consume(PLACEMENT_HELD, react)
    on_resident_admitted = consume(RESIDENT_ADMITTED, react)
    on_placement_declined = consume(PLACEMENT_DECLINED, react)
    on_location_compromised = consume(LOCATION_COMPROMISED, react)

    # -- due work and the dead-letter watch (every process) ----------------------------------
    do_due_work = every("poll_seconds", Notifications.do_due_work)
    watch_dead_letters = every("watch_seconds", Notifications.watch_dead_letters)

    # -- the inbox and the on-call roster --------------------------------------------------------
    inbox = expose(Notifications.inbox, s.InboxSchema, s.InboxPageSchema)
    acknowledge = expose(Notifications.acknowledge, s.AlertIdSchema, s.AlertStateSchema)
    open_alerts = expose(Notifications.open_alerts, s.OpenAlertsSchema, s.OpenAlertPageSchema)
    on_call = expose(Notifications.on_call, s.OnCallSchema, s.OnCallResultSchema)
    put_on_call = expose(Notifications.put_on_call, s.PutOnCallSchema, s.ShiftRefSchema)
    end_on_call = expose(Notifications.end_on_call, s.EndOnCallSchema, s.ShiftRefSchema)

    # -- for ops ---------------------------------------------------------------------------------
    deliveries = expose(Notifications.deliveries, s.DeliveriesSchema, s.DeliveryPageSchema)
    enable_webhook_target = expose(Notifications.enable_webhook_target, s.WebhookTargetSchema, s.WebhookTargetStateSchema)
