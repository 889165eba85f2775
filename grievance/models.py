"""Grievances, their audit trail, and the outbox of work that must follow a change."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foundation.clock import as_utc, utcnow
from foundation.db import Base, value_enum

__all__ = ["as_utc", "utcnow"]  # re-exported for the grievance package


class Category(enum.StrEnum):
    """What a complaint is about. The order is the order of the USSD menu: "paid less" and
    "asked for money" sit side by side, so a citizen who was asked for a bribe finds their
    choice next to the one it was once merged with."""

    PAYMENT_NOT_RECEIVED = "payment_not_received"
    AMOUNT_SHORT = "amount_short"  # paid less than entitled (a demand for money is a bribe report)
    # A bribe or any other demand for money by an official, or harassment by one. One
    # sensitive category, not two: both must skip the office that may be accused and reach
    # the ministry's redress officer alone, and a citizen asked for "speed money" should not
    # have to decide whether that was a bribe. Its stored value predates the label.
    BRIBE_OR_HARASSMENT = "bribe_or_harassment"
    EXCLUDED = "excluded"  # wrongly excluded or not enrolled
    ETOKEN_REFUSED = "etoken_refused"  # e-token not honoured by the dealer
    DEALER_MISCONDUCT = "dealer_misconduct"  # or bad quality
    WRONG_DATA = "wrong_data"  # wrong personal data
    OTHER = "other"
    # "Not you? Reply 2" to a redemption's code or receipt: someone at an outlet took (or
    # tried to take) the citizen's e-token. Sensitive: the outlet is the accused, and the
    # local office licenses its dealers. It arises from that answer, linked to the
    # redemption, so no menu offers it.
    ETOKEN_TAKEN = "etoken_taken"

    @property
    def citizen_chooses(self) -> bool:
        """Offered on the complaint menus (USSD); the others arise from an answer."""
        return self not in ANSWER_CATEGORIES

    @property
    def sensitive(self) -> bool:
        """Must never be routed to the office of the accused, nor shown to it or to an
        also-concerned ministry (README, "Staff workspace"). The one definition: routing
        and staff scope read it."""
        return self in SENSITIVE_CATEGORIES


SENSITIVE_CATEGORIES: frozenset[Category] = frozenset({Category.BRIBE_OR_HARASSMENT, Category.ETOKEN_TAKEN})
ANSWER_CATEGORIES: frozenset[Category] = frozenset({Category.ETOKEN_TAKEN})


class Status(enum.StrEnum):
    RECEIVED = "received"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    APPEALED = "appealed"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"


class Channel(enum.StrEnum):
    USSD = "ussd"
    SMS = "sms"
    STAFF = "staff"


class Grievance(Base):
    __tablename__ = "grievances"
    __table_args__ = (
        Index("ix_grievances_phone_hash_created", "phone_hash", "created_at"),
        # A ministry's queue: its open cases by deadline.
        Index("ix_grievances_queue", "ministry_code", "status", "due_at"),
        Index("ix_grievances_created", "created_at"),  # weekly trends
        # Complaints waiting to be routed, oldest first: what a routing job takes in a batch.
        Index(
            "ix_grievances_waiting",
            "id",
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(10), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    # A keyed hash (HMAC) of the complainant's phone: enough to spot a repeat filing, not
    # enough to recover the number from a database dump.
    phone_hash: Mapped[str] = mapped_column(String(64))
    # The number that filed it (E.164), to reach a complainant who is not in the registry at
    # every step, e.g. to ask "was it resolved?". Shown masked; never logged in full.
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    programme_code: Mapped[str | None] = mapped_column(ForeignKey("programmes.code"))
    category: Mapped[Category] = mapped_column(value_enum(Category, "grievance_category"))
    text: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, "grievance_channel"))
    locale: Mapped[str] = mapped_column(String(8))  # the complainant's language for notifications
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    upazila_id: Mapped[int | None] = mapped_column(ForeignKey("upazilas.id"))
    status: Mapped[Status] = mapped_column(value_enum(Status, "grievance_status"), default=Status.RECEIVED)
    tier: Mapped[int] = mapped_column(Integer, default=1)  # 1 officer, 2 grievance redress officer, 3 appeal
    # Where routing sent it: the ministry, which of its offices, and who else must act.
    ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"), index=True)
    office_level: Mapped[str | None] = mapped_column(String(20))  # upazila | district | ministry_gro
    also_ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"))
    cluster_code: Mapped[str | None] = mapped_column(ForeignKey("clusters.code"))
    # The officer who acknowledged it: the only one who may see the full phone number.
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    routed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)  # SLA deadline
    # When the current tier's clock started: a holiday change recounts due_at from here.
    sla_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What the complaint is about when the citizen's answer filed it: a payment they deny
    # receiving, or an e-token redemption they dispute.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"), index=True)
    # When an office first marked it resolved: resolution time and SLA breach read it.
    first_resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Working days from filing to that first resolution, counted then (holidays as they were).
    resolution_working_days: Mapped[int | None] = mapped_column(Integer)
    # Set in Python (UTC) so the 24-hour duplicate check compares like with like on every database.
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    events: Mapped[list[GrievanceEvent]] = relationship(order_by="GrievanceEvent.id", back_populates="grievance")


class GrievanceEvent(Base):
    """The audit trail: every change, by whom, when, from which status to which, and why."""

    __tablename__ = "grievance_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[Status | None] = mapped_column(value_enum(Status, "grievance_status"))
    to_status: Mapped[Status] = mapped_column(value_enum(Status, "grievance_status"))
    note: Mapped[str | None] = mapped_column(Text)

    grievance: Mapped[Grievance] = relationship(back_populates="events")


class OutboxEntry(Base):
    """Work that must follow a committed change (route a complaint, tell the citizen).

    Written in the same transaction as the change; jobs are enqueued after commit and a
    sweeper re-enqueues what is not done, so a Redis outage delays work but loses none.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # route_grievance | notify_citizen | ask_citizen
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class QuestionKind(enum.StrEnum):
    """A yes/no question a phone was asked by SMS; the subject id names what it is about."""

    COMPLAINT_RESOLVED = "complaint_resolved"  # a grievance's id: "is it resolved? 1 yes, 2 no"
    PAYMENT_RECEIVED = "payment_received"  # a payment's id: "did you receive Tk X? 1 yes, 2 no"
    REDEMPTION_CODE = "redemption_code"  # a redemption's id: the code's SMS, "not you? reply 2"
    REDEMPTION_RECEIPT = "redemption_receipt"  # a redemption's id: the receipt, "not you? reply 2"

    @property
    def takes_yes(self) -> bool:
        """Whether a "1" may answer it. A redemption's SMS offers only "2" (not me): a "1" meant
        for another question must never hand over someone's e-token without their code."""
        return self not in (QuestionKind.REDEMPTION_CODE, QuestionKind.REDEMPTION_RECEIPT)


class CitizenQuestion(Base):
    """A yes/no question a phone was asked, and its answer. A bare "1" or "2" answers the
    question that phone was asked last and that is still open (grievance.questions), so
    several questions may be open on one phone at once. The phone is kept as a keyed hash
    (foundation.privacy): enough to match a reply, not enough to recover the number."""

    __tablename__ = "citizen_questions"
    __table_args__ = (
        # What a reply looks for: this phone's unanswered questions, newest first.
        Index(
            "ix_citizen_questions_open",
            "phone_hash",
            "asked_at",
            postgresql_where=text("answered_at IS NULL"),
            sqlite_where=text("answered_at IS NULL"),
        ),
        Index("ix_citizen_questions_subject", "kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[QuestionKind] = mapped_column(value_enum(QuestionKind, "citizen_question_kind"))
    subject_id: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))  # the language the question was asked in
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    open_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[bool | None] = mapped_column(Boolean)  # True: yes ("1"); None until answered


class OfficeLevel(enum.StrEnum):
    UPAZILA = "upazila"
    DISTRICT = "district"
    MINISTRY_GRO = "ministry_gro"  # the ministry's grievance redress officer


class RoutingRule(Base):
    """Routing as data: programme -> ministry and office, with category overrides.

    A rule with a programme and no category is a base rule (which ministry runs it, from
    when to when: programmes move). A rule with a category overrides the office level or
    adds a second ministry (a payment failure also concerns the Finance Division's G2P
    unit; a bribe complaint skips the local office). Edited in grievance/seed/routing_rules.csv
    and loaded by `db upgrade`.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_code: Mapped[str | None] = mapped_column(ForeignKey("programmes.code"))
    category: Mapped[Category | None] = mapped_column(value_enum(Category, "grievance_category"))
    ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"))
    office_level: Mapped[OfficeLevel | None] = mapped_column(value_enum(OfficeLevel, "office_level"))
    also_ministry_code: Mapped[str | None] = mapped_column(ForeignKey("ministries.code"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)  # inclusive; None: open-ended
    note: Mapped[str | None] = mapped_column(Text)


class HolidayAction(enum.StrEnum):
    ADD = "add"  # a holiday the package's calendar lacks
    CONFIRM = "confirm"  # an estimated lunar date the gazette fixes on the same day
    REMOVE = "remove"  # a calendar day that is not a holiday after all


class HolidayChange(Base):
    """A change to the SLA calendar recorded by staff, after the gazette: who, when, what.

    The calendar is the pinned `holidays` package plus grievance/seed/holiday_gazette.csv
    plus these rows, applied in id order. Rows are only ever added: the newest id is the
    calendar's version, which every process compares before trusting its cached copy.
    """

    __tablename__ = "holiday_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    action: Mapped[HolidayAction] = mapped_column(value_enum(HolidayAction, "holiday_action"))
    name_en: Mapped[str | None] = mapped_column(String(120))
    name_bn: Mapped[str | None] = mapped_column(String(120))
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
