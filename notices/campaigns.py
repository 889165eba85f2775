"""Bulk SMS campaigns: everyone a filter selects gets one message, even across interruptions.

Recipients are read in citizen-id order, a batch at a time. Each batch's messages and the
campaign's cursor (the last citizen covered) commit together, and only then are the
messages queued for sending (jobs of outbound_sms.sending.BATCH_SIZE, paced by the provider's token
bucket). Stopped at any point, the same command resumes after the cursor; a message's
dedupe key is the campaign and the phone, so nobody gets a second copy, and messages
committed but never queued are queued again on resume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from foundation.clock import utcnow
from notices import templates
from notices.models import Campaign
from outbound_sms.models import Message, MessageStatus
from outbound_sms.opt_outs import opted_out_among
from outbound_sms.sending import NewMessage, create_messages, queue_send_batches
from registry.eligibility.engine import rulebook
from registry.eligibility.explain import programme_name
from registry.models import Citizen, Payment, PaymentStatus

# Which payments of the cycle each template is about.
TEMPLATE_STATUSES = {
    "payment_sent": (PaymentStatus.SENT, PaymentStatus.CREDITED),
    "payment_scheduled": (PaymentStatus.SCHEDULED,),
}
DEFAULT_BATCH = 1000


class CampaignError(ValueError):
    pass


@dataclass(frozen=True)
class CampaignSpec:
    template: str
    programme_code: str
    cycle: str
    district_id: int | None = None


def start_or_resume(session: Session, spec: CampaignSpec, *, again: bool = False) -> tuple[Campaign, bool]:
    """The unfinished campaign with this spec (resumed: True), or a new one; commits.

    A campaign with this spec that has finished is not sent again by mistake: ``again``
    must say so."""
    if spec.template not in TEMPLATE_STATUSES:
        raise CampaignError(f"unknown template {spec.template!r}; use one of {', '.join(TEMPLATE_STATUSES)}")
    same = session.scalars(
        select(Campaign)
        .where(
            Campaign.template == spec.template,
            Campaign.programme_code == spec.programme_code,
            Campaign.cycle == spec.cycle,
            Campaign.district_id.is_(None) if spec.district_id is None else Campaign.district_id == spec.district_id,
        )
        .order_by(Campaign.id.desc())
    ).first()
    if same is not None and same.finished_at is None:
        return same, True
    if same is not None and not again:
        raise CampaignError(
            f"campaign {same.id} with these settings finished at {same.finished_at:%Y-%m-%d %H:%M} UTC "
            f"({same.messages} messages); use --again to send it again"
        )
    campaign = Campaign(
        template=spec.template,
        programme_code=spec.programme_code,
        cycle=spec.cycle,
        district_id=spec.district_id,
        cursor=0,
        messages=0,
        skipped=0,
    )
    session.add(campaign)
    session.commit()
    return campaign, False


def _recipients(campaign: Campaign):
    """Payments this campaign is about, one row per citizen with a phone."""
    query = (
        select(Citizen.id, Citizen.mobile, Citizen.language, Payment.amount_bdt, Payment.channel)
        .join(Payment, Payment.citizen_id == Citizen.id)
        .where(
            Payment.programme_code == campaign.programme_code,
            Payment.cycle == campaign.cycle,
            Payment.status.in_(TEMPLATE_STATUSES[campaign.template]),
            Citizen.mobile.is_not(None),
        )
    )
    if campaign.district_id is not None:
        query = query.where(Citizen.district_id == campaign.district_id)
    return query


def remaining(session: Session, campaign: Campaign) -> int:
    query = _recipients(campaign).where(Citizen.id > campaign.cursor)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def _text(campaign: Campaign, locale: str, programme: str, amount, channel) -> str:
    if campaign.template == "payment_sent":
        return templates.payment_sent(locale, programme, amount, campaign.cycle, channel)
    return templates.payment_scheduled(locale, programme, amount, campaign.cycle)


def run(
    session: Session,
    campaign: Campaign,
    *,
    resumed: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> Campaign:
    """Create and queue the campaign's messages from its cursor to the end; commits per batch."""
    if resumed:  # committed by the interrupted run but perhaps never queued
        unsent = session.scalars(
            select(Message.id).where(Message.campaign_id == campaign.id, Message.status == MessageStatus.CREATED)
        ).all()
        queue_send_batches(unsent)
    book = rulebook(session)
    names = {locale: programme_name(campaign.programme_code, locale, book, short=True) for locale in ("bn", "en")}
    while True:
        rows = session.execute(
            _recipients(campaign).where(Citizen.id > campaign.cursor).order_by(Citizen.id).limit(batch_size)
        ).all()
        if not rows:
            break
        silenced = opted_out_among(session, [row.mobile for row in rows])
        drafts = [
            NewMessage(
                phone=row.mobile,
                text=_text(campaign, row.language.value, names[row.language.value], row.amount_bdt, row.channel),
                locale=row.language.value,
                template=campaign.template,
                # Per phone: two beneficiaries sharing a phone get one message, not two.
                dedupe_key=f"campaign:{campaign.id}:{row.mobile}",
                campaign_id=campaign.id,
            )
            for row in rows
            if row.mobile not in silenced
        ]
        message_ids = create_messages(session, drafts)
        campaign.cursor = rows[-1].id
        campaign.messages += len(message_ids)
        campaign.skipped += len(rows) - len(drafts)
        session.commit()
        queue_send_batches(message_ids)
        if progress:
            progress(len(rows))
    campaign.finished_at = utcnow()
    session.commit()
    return campaign
