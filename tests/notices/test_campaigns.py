"""Campaigns: the right recipients, one message each, across interruptions."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from foundation.jobs import redis_connection
from foundation.privacy import phone_hash
from notices import campaigns
from notices.models import Campaign
from outbound_sms.models import Message, MessageStatus, OptOut
from outbound_sms.providers.console import ConsoleProvider
from registry.models import Language, PaymentStatus
from tests.factories import make_citizen, make_enrolment, make_payment, place
from tests.helpers import drain

SPEC = campaigns.CampaignSpec(template="payment_sent", programme_code="OAA", cycle="2026-07")


@pytest.fixture(autouse=True)
def empty_console(app):
    redis_connection(app).delete("sms:console")
    yield
    redis_connection(app).delete("sms:console")


def sent_to(app) -> Counter:
    return Counter(entry["to"] for entry in ConsoleProvider(redis_connection(app)).recent(10_000))


@pytest.fixture
def paid(session):
    """make(n, district=…, status=…): n OAA beneficiaries paid in 2026-07."""

    def make(n: int, district: str = "Cumilla", status=PaymentStatus.SENT, **fields):
        people = []
        for _ in range(n):
            person = make_citizen(session, age=70, district=district, **fields)
            make_enrolment(session, person, "OAA")
            make_payment(session, person, "OAA", cycle="2026-07", status=status)
            people.append(person)
        session.commit()
        return people

    return make


def test_the_filter_picks_recipients_and_skips_opted_out_phones(app, session, paid):
    cumilla = paid(3)
    dhaka = paid(2, district="Dhaka")
    paid(1, status=PaymentStatus.SCHEDULED)  # not sent yet: not this template's news
    [english] = paid(1, language=Language("en"))
    session.add(OptOut(phone_hash=phone_hash(cumilla[0].mobile)))
    session.commit()
    campaign, resumed = campaigns.start_or_resume(session, SPEC)
    assert not resumed and campaigns.remaining(session, campaign) == 6
    campaigns.run(session, campaign)
    drain(app)
    assert (campaign.messages, campaign.skipped) == (5, 1)
    assert sent_to(app) == Counter(p.mobile for p in [*cumilla[1:], *dhaka, english])
    texts = {m.phone: m.text for m in session.scalars(select(Message))}
    assert texts[english.mobile].startswith("Old Age Allowance: Tk ")
    assert texts[cumilla[1].mobile].startswith("বয়স্ক ভাতা: জুলাই ২০২৬-এর ")


def test_a_district_filter(app, session, paid):
    paid(2)
    dhaka = paid(2, district="Dhaka")
    district_id, _ = place(session, "Dhaka")
    campaign, _ = campaigns.start_or_resume(
        session, campaigns.CampaignSpec("payment_sent", "OAA", "2026-07", district_id)
    )
    campaigns.run(session, campaign)
    drain(app)
    assert sent_to(app) == Counter(p.mobile for p in dhaka)


def test_a_phone_shared_by_two_beneficiaries_gets_one_message(app, session, paid):
    paid(2, mobile="+8801712000999")
    campaign, _ = campaigns.start_or_resume(session, SPEC)
    campaigns.run(session, campaign)
    drain(app)
    assert sent_to(app) == Counter({"+8801712000999": 1})


class Interrupted(Exception):
    pass


def test_interrupted_and_resumed_everyone_gets_exactly_one_message(app, session, paid):
    people = paid(25)
    campaign, _ = campaigns.start_or_resume(session, SPEC)
    batches = []

    def stop_after_two_batches(rows: int) -> None:
        batches.append(rows)
        if len(batches) == 2:
            raise Interrupted  # Ctrl-C, a deploy, a dead terminal

    with pytest.raises(Interrupted):
        campaigns.run(session, campaign, batch_size=10, progress=stop_after_two_batches)
    drain(app)
    assert sum(sent_to(app).values()) == 20
    session.rollback()
    again, resumed = campaigns.start_or_resume(session, SPEC)
    assert resumed and again.id == campaign.id and campaigns.remaining(session, again) == 5
    campaigns.run(session, again, resumed=True, batch_size=10)
    drain(app)
    assert sent_to(app) == Counter(p.mobile for p in people)  # each exactly once
    assert again.finished_at is not None and again.messages == 25


def test_messages_committed_but_never_queued_are_queued_on_resume(app, session, paid, monkeypatch):
    people = paid(12)
    campaign, _ = campaigns.start_or_resume(session, SPEC)
    real_queue = campaigns.queue_send_batches
    calls = []

    def redis_dies_on_the_second_batch(ids):
        calls.append(ids)
        if len(calls) == 2:
            raise ConnectionError("Redis went away")
        return real_queue(ids)

    monkeypatch.setattr(campaigns, "queue_send_batches", redis_dies_on_the_second_batch)
    with pytest.raises(ConnectionError):
        campaigns.run(session, campaign, batch_size=10)
    monkeypatch.setattr(campaigns, "queue_send_batches", real_queue)
    drain(app)
    unsent = session.scalar(select(func.count()).where(Message.status == MessageStatus.CREATED))
    assert sum(sent_to(app).values()) == 10 and unsent == 2
    campaign, resumed = campaigns.start_or_resume(session, SPEC)
    campaigns.run(session, campaign, resumed=resumed)
    drain(app)
    assert sent_to(app) == Counter(p.mobile for p in people)


def test_a_finished_campaign_is_not_sent_again_by_mistake(app, session, paid, cli):
    paid(2)
    args = ["sms", "campaign", "--programme", "oaa", "--cycle", "2026-07", "--template", "payment_sent"]
    first = cli.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "campaign" in first.output and "2 message(s) queued" in first.output
    second = cli.invoke(args=args)
    assert second.exit_code != 0 and "use --again" in second.output
    assert cli.invoke(args=[*args, "--again"]).exit_code == 0
    drain(app)
    assert session.scalar(select(func.count()).select_from(Campaign)) == 2
    assert sum(sent_to(app).values()) == 4


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--district", "Atlantis", "unknown district"),
        ("--programme", "XYZ", "unknown programme"),
        ("--cycle", "July", "cycle must look like"),
        ("--template", "lottery", "unknown template"),
    ],
)
def test_bad_options_get_a_clear_message(cli, session, option, value, message):
    args = {"--programme": "OAA", "--cycle": "2026-07", "--template": "payment_sent"}
    args[option] = value
    result = cli.invoke(args=["sms", "campaign", *[x for pair in args.items() for x in pair]])
    assert result.exit_code != 0 and message in result.output


def test_the_campaign_says_which_district_a_spelling_or_code_meant(app, session, paid, cli):
    paid(1)  # in Cumilla
    args = ["sms", "campaign", "--programme", "OAA", "--cycle", "2026-07", "--template", "payment_sent"]
    result = cli.invoke(args=[*args, "--district", "Comilla Zila"])
    assert result.exit_code == 0 and "district: Cumilla" in result.output, result.output
    # 19 is our code for Naogaon and the BBS code of Cumilla: neither is messaged on a guess.
    refused = cli.invoke(args=[*args, "--district", "19", "--again"])
    assert refused.exit_code != 0 and "ambiguous" in refused.output and "Naogaon" in refused.output
