"""grievances: complaints whose words report a bribe demand go to the redress officer

The category ``amount_short`` used to mean "paid less, or asked for money" and was routed to
the local office, so a citizen reporting a bribe demand put their name before the office
that may have asked for it. It now means "paid less than due"; a demand for money is
``bribe_or_harassment`` (sensitive: the ministry's grievance redress officer alone). The
stored values do not change, so the VARCHAR(20) column needs no change either.

Which old complaints move: every one not already sensitive whose own words report a demand
for money (ঘুষ, "টাকা চেয়েছে", "taka chaise", "asked for money", ...), whatever its category.
Most are ``amount_short``; but an SMS complaint was always filed as ``other``, and a citizen
told "no payment without a bribe" may have chosen "payment not received". Intake now files
such words as a bribe report on every channel; this gives old complaints the same reading.
Each moved complaint:

- becomes ``bribe_or_harassment``, with the ministry's redress officer as its office and no
  second ministry (a payment failure's Finance Division no longer sees it);
- if a local officer had taken it up (acknowledged, in progress at tier 1), goes back to
  "routed" without an assigned officer, for the redress officer to take up;
- if the local office already resolved, closed or rejected it, keeps that status (no person
  has decided to reopen it): the redress officer sees every sensitive case of the ministry
  and may review what the office that may be accused decided;
- gets a trail entry (actor "migration 0013") saying what moved it and from which category.

Every other complaint keeps its category. An ``amount_short`` one whose words describe an
underpayment, or that has no words, stays with the local office, which is the one that can
pay what is missing: this migration cannot tell a bribe report from an underpayment without
words, and moving every one would leave each underpaid citizen waiting on the ministry.

The words are those of grievance.intake at the time of writing, copied here because a
migration must give the same result whenever it runs, whatever the intake later learns.

Downgrade changes no row: handing bribe reports back to the local office would recreate the
harm this migration removes, and the old code reads ``bribe_or_harassment`` as well.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTOR = "migration 0013"
TAKEN_UP = ("acknowledged", "in_progress")
NOTE = (
    "moved from {category}: its text reports a demand for money, so it is a bribe report "
    "for the ministry's grievance redress officer, not the local office"
)

MONEY_DEMANDED = re.compile(
    unicodedata.normalize(
        "NFC",
        r"""
        ঘুষ | ঘুস | উৎকোচ | bribe | kickback | speed\s+money | \bgh(?:u|oo)s
        | (?<![^\s\d০-৯]) (?:টাকা|taka|tk|money) \S* \s+ (?:\S+\s+){0,2}?
          (?: চেয়ে(?:ছে|ছেন|ছিল|ছিলেন) | চায় | চাচ্ছে | চাইছে | চাইল | চাইলো | চাইলেন | দাবি | দিতে\s+বল
            | নিয়েছে | নিয়েছেন | নিল | নিলো
            | chey(?:ech|s|ic|il) | cha(?:y|i\S) | chacche | dabi | dite\s+bol | nise | niyeche | nilo
            | demanded | asked )
        | \b(?:ask|asks|asked|asking|demand|demands|demanded|demanding|took|takes|taking) \s+ (?:for\s+)?
          (?:a\s+|some\s+|extra\s+|more\s+)? (?:[\d,]+\s*)? (?:money|taka|tk|cash|fee|commission)\b
        """,
    ),
    re.IGNORECASE | re.VERBOSE,
)

grievances = sa.table(
    "grievances",
    sa.column("id", sa.Integer),
    sa.column("category", sa.String),
    sa.column("text", sa.String),
    sa.column("status", sa.String),
    sa.column("tier", sa.Integer),
    sa.column("office_level", sa.String),
    sa.column("also_ministry_code", sa.String),
    sa.column("assigned_to", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
events = sa.table(
    "grievance_events",
    sa.column("grievance_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("note", sa.Text),
)


def upgrade() -> None:
    connection = op.get_bind()
    candidates = connection.execute(
        sa.select(
            grievances.c.id, grievances.c.category, grievances.c.text, grievances.c.status, grievances.c.tier
        ).where(grievances.c.category != "bribe_or_harassment", grievances.c.text.is_not(None))
    ).all()
    moved = [row for row in candidates if MONEY_DEMANDED.search(unicodedata.normalize("NFC", row.text))]
    now = sa.func.now()
    for id_, category, _text, status, tier in moved:
        changes = {"category": "bribe_or_harassment", "also_ministry_code": None, "updated_at": now}
        if status != "received":  # a received one is routed by the router, by the new category
            changes["office_level"] = "ministry_gro"
        to_status = status
        if status in TAKEN_UP and tier == 1:  # the local officer had it; escalated ones are with the GRO
            changes.update(status="routed", assigned_to=None)
            to_status = "routed"
        connection.execute(sa.update(grievances).where(grievances.c.id == id_).values(**changes))
        connection.execute(
            sa.insert(events).values(
                grievance_id=id_,
                at=now,
                actor=ACTOR,
                from_status=status,
                to_status=to_status,
                note=NOTE.format(category=category),
            )
        )


def downgrade() -> None:
    pass
