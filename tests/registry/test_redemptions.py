"""registry.redemptions: every rule of starting, confirming and deciding a redemption."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.clock import utcnow
from registry import redemptions
from registry.models import ETokenLedgerEntry, ETokenWallet, Redemption, RedemptionChannel, RedemptionStatus
from registry.redemptions import Reason, Refused
from tests.factories import make_citizen
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.redemption_support import balance_matches_ledger, beneficiary, funded_wallet, make_outlet

NOW = dt.datetime(2026, 11, 10, 5, 0, tzinfo=dt.UTC)  # 11:00 in Dhaka


def start(session, outlet, who, quantity="10", programme=None, request_id=None, now=NOW, operator=None):
    return redemptions.start(
        session,
        outlet,
        operator or outlet.operator_mobile,
        who,
        Decimal(quantity),
        programme,
        RedemptionChannel.API,
        request_id=request_id,
        now=now,
    )


def refused(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_start_by_mobile_then_the_right_code_debits_once_with_one_linked_ledger_entry(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    assert started.created and len(started.code) == 6 and started.code.isdigit()
    assert started.redemption.status is RedemptionStatus.AWAITING_CODE
    assert started.code not in started.redemption.code_hash  # only the HMAC is kept

    confirmed = redemptions.confirm_code(session, outlet, started.redemption.id, started.code, now=NOW)
    assert confirmed.status is RedemptionStatus.COMPLETED
    assert confirmed.balance_left == Decimal(20)
    entry = session.scalars(select(ETokenLedgerEntry).where(ETokenLedgerEntry.reason == "redeem")).one()
    assert (entry.amount, entry.outlet_id, entry.operator_mobile, entry.redemption_id) == (
        Decimal(-10),
        outlet.id,
        outlet.operator_mobile,
        started.redemption.id,
    )
    assert balance_matches_ledger(session, wallet.id)


def test_start_by_nid_with_bengali_digits_finds_the_same_person(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    bengali = citizen.nid.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert start(session, outlet, bengali).redemption.citizen_id == citizen.id


def test_a_mobile_finds_the_earliest_citizen_with_that_phone(session):
    outlet = make_outlet(session)
    first, _ = beneficiary(session, mobile="+8801712000111")
    make_citizen(session, mobile="+8801712000111")
    assert start(session, outlet, "01712000111").redemption.citizen_id == first.id


def test_unknown_person_and_person_without_a_wallet_here_get_the_same_refusal(session):
    outlet = make_outlet(session, programmes=("VGF",))
    citizen, _ = beneficiary(session)  # an FFP wallet, which this outlet does not serve
    assert refused(start, session, outlet, citizen.mobile).reason is Reason.NO_WALLET
    assert refused(start, session, outlet, "01799999999").reason is Reason.NO_WALLET
    assert refused(start, session, outlet, "not a number").reason is Reason.BAD_BENEFICIARY


def test_an_outlet_serves_only_its_programmes(session):
    outlet = make_outlet(session, programmes=("VGF",))
    citizen, _ = beneficiary(session)
    assert refused(start, session, outlet, citizen.mobile, programme="FFP").reason is Reason.PROGRAMME_NOT_SERVED


def test_several_wallets_here_and_no_programme_named_asks_which(session):
    outlet = make_outlet(session, programmes=("FFP", "VGF"))
    citizen, _ = beneficiary(session)
    funded_wallet(session, citizen, "VGF", "20")
    problem = refused(start, session, outlet, citizen.mobile)
    assert problem.reason is Reason.PROGRAMME_NEEDED and problem.programmes == ("FFP", "VGF")
    assert start(session, outlet, citizen.mobile, programme="vgf").redemption.programme_code == "VGF"


@pytest.mark.parametrize("quantity", ["0", "-1", "0.25", "10.3"])
def test_a_kg_quantity_must_be_positive_in_half_kilos(session, quantity):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    assert refused(start, session, outlet, citizen.mobile, quantity).reason is Reason.BAD_QUANTITY


def test_half_a_kilo_is_allowed_but_half_a_voucher_is_not(session):
    outlet = make_outlet(session, programmes=("FFP", "MHV"))
    citizen, _ = beneficiary(session)
    assert start(session, outlet, citizen.mobile, "2.5", programme="FFP").created
    mother = make_citizen(session)
    funded_wallet(session, mother, "MHV", "3", unit="voucher")
    problem = refused(start, session, outlet, mother.mobile, "0.5")
    assert problem.reason is Reason.BAD_QUANTITY and problem.step == Decimal(1)


def test_more_than_the_balance_is_refused(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session, balance="5")
    assert refused(start, session, outlet, citizen.mobile, "5.5").reason is Reason.OVER_BALANCE


def test_an_expired_wallet_is_refused(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    wallet.expires_on = dt.date(2026, 11, 9)
    session.commit()
    assert refused(start, session, outlet, citizen.mobile).reason is Reason.WALLET_EXPIRED


def test_an_operator_cannot_redeem_their_own_wallet(session):
    citizen, _ = beneficiary(session)
    outlet = make_outlet(session, operator_mobile=citizen.mobile)
    assert refused(start, session, outlet, citizen.nid).reason is Reason.OWN_WALLET
    assert refused(start, session, outlet, citizen.mobile).reason is Reason.OWN_WALLET


def test_an_operator_who_is_the_beneficiary_by_registered_phone_is_refused(session):
    outlet = make_outlet(session)
    operator_citizen, _ = beneficiary(session, mobile=outlet.operator_mobile)
    assert refused(start, session, outlet, operator_citizen.nid).reason is Reason.OWN_WALLET


def test_only_one_redemption_awaits_its_code_per_wallet(session):
    outlet, elsewhere = make_outlet(session), make_outlet(session)
    citizen, _ = beneficiary(session)
    start(session, outlet, citizen.mobile)
    assert refused(start, session, elsewhere, citizen.mobile).reason is Reason.PENDING_EXISTS


def test_an_expired_code_frees_the_wallet_for_a_new_start(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    first = start(session, outlet, citizen.mobile)
    later = NOW + redemptions.CODE_VALID + dt.timedelta(seconds=1)
    second = start(session, outlet, citizen.mobile, now=later)
    assert second.created
    assert session.get(Redemption, first.redemption.id).status is RedemptionStatus.EXPIRED


def test_a_lapsed_code_the_sweep_expires_meanwhile_still_frees_the_wallet(session, monkeypatch):
    """The start's insert meets the lapsed redemption, then the scheduler's sweep expires it
    before the start does: the start finds nothing left to expire, and still goes ahead."""
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    start(session, outlet, citizen.mobile)
    later = NOW + redemptions.CODE_VALID + dt.timedelta(seconds=1)
    real_expire = redemptions._expire_stale

    def swept_first(session_, now, *conditions):
        real_expire(session_, now, *conditions)  # the sweep's UPDATE, committed with this one
        return 0  # what the start's own UPDATE then finds

    monkeypatch.setattr(redemptions, "_expire_stale", swept_first)
    assert start(session, outlet, citizen.mobile, now=later).created


def test_a_code_is_refused_after_ten_minutes_and_nothing_is_debited(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    late = NOW + redemptions.CODE_VALID
    problem = refused(redemptions.confirm_code, session, outlet, started.redemption.id, started.code, now=late)
    assert problem.reason is Reason.EXPIRED
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(30)


def test_three_wrong_codes_cancel_and_then_the_right_one_does_not_debit(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    wrong = f"{(int(started.code) + 1) % 1_000_000:06d}"
    tries = [refused(redemptions.confirm_code, session, outlet, started.redemption.id, wrong, now=NOW) for _ in "123"]
    assert [(t.reason, t.tries_left) for t in tries] == [
        (Reason.WRONG_CODE, 2),
        (Reason.WRONG_CODE, 1),
        (Reason.CANCELLED, 0),
    ]
    again = refused(redemptions.confirm_code, session, outlet, started.redemption.id, started.code, now=NOW)
    assert again.reason is Reason.CANCELLED
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(30)
    assert balance_matches_ledger(session, wallet.id)


def test_the_right_code_typed_in_bengali_digits_is_accepted(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    bengali = started.code.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert redemptions.confirm_code(session, outlet, started.redemption.id, bengali, now=NOW).status == "completed"


def test_another_outlets_redemption_is_not_found(session):
    outlet, other = make_outlet(session), make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    problem = refused(redemptions.confirm_code, session, other, started.redemption.id, started.code, now=NOW)
    assert problem.reason is Reason.NOT_FOUND
    assert refused(redemptions.get_for_outlet, session, other, started.redemption.id).reason is Reason.NOT_FOUND


def test_confirming_twice_with_the_right_code_debits_once(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile)
    for _ in range(2):
        confirmed = redemptions.confirm_code(session, outlet, started.redemption.id, started.code, now=NOW)
        assert (confirmed.status, confirmed.balance_left) == (RedemptionStatus.COMPLETED, Decimal(20))
    assert (
        session.scalar(select(func.count()).select_from(ETokenLedgerEntry).where(ETokenLedgerEntry.reason == "redeem"))
        == 1
    )


def test_the_balance_falling_after_the_start_cancels_instead_of_going_negative(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    started = start(session, outlet, citizen.mobile, "30")
    from registry.etokens import post_entry

    post_entry(session, session.get(ETokenWallet, wallet.id), Decimal(-5), "import")
    session.commit()
    problem = refused(redemptions.confirm_code, session, outlet, started.redemption.id, started.code, now=NOW)
    assert problem.reason is Reason.OVER_BALANCE
    assert session.get(Redemption, started.redemption.id).status is RedemptionStatus.CANCELLED
    assert balance_matches_ledger(session, wallet.id)


def test_the_same_request_id_returns_the_same_redemption_without_a_new_code(session):
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    first = start(session, outlet, citizen.mobile, request_id="app-42")
    again = start(session, outlet, citizen.mobile, request_id="app-42")
    assert (again.redemption.id, again.code, again.created) == (first.redemption.id, None, False)
    assert refused(start, session, outlet, citizen.mobile, "5", request_id="app-42").reason is Reason.REQUEST_ID_REUSED
    assert refused(start, session, outlet, citizen.mobile, request_id="bad id!").reason is Reason.BAD_REQUEST_ID
    # The same id for another person or programme is a mistake the app must hear of.
    other, _ = beneficiary(session)
    assert refused(start, session, outlet, other.mobile, request_id="app-42").reason is Reason.REQUEST_ID_REUSED
    # The same programme written another way is the same request (the app retried).
    assert start(session, outlet, citizen.mobile, programme=" ffp ", request_id="app-42").redemption.id == (
        first.redemption.id
    )
    # Another outlet's request ids are its own.
    citizen2, _ = beneficiary(session)
    assert start(session, make_outlet(session), citizen2.mobile, request_id="app-42").created


def test_the_beneficiary_confirms_or_refuses_on_their_own_phone(session):
    outlet = make_outlet(session)
    yes, yes_wallet = beneficiary(session)
    no, no_wallet = beneficiary(session)
    accepted = start(session, outlet, yes.mobile)
    declined = start(session, outlet, no.mobile)
    assert [r.id for r in redemptions.pending_for_citizen(session, yes.id, now=NOW)] == [accepted.redemption.id]
    assert len(redemptions.pending_for_outlet(session, outlet, now=NOW)) == 2

    # Somebody else's redemption is not theirs to answer.
    problem = refused(redemptions.decide_as_beneficiary, session, no.id, accepted.redemption.id, True, now=NOW)
    assert problem.reason is Reason.NOT_FOUND
    done = redemptions.decide_as_beneficiary(session, yes.id, accepted.redemption.id, True, now=NOW)
    assert (done.status, done.balance_left) == (RedemptionStatus.COMPLETED, Decimal(20))
    said_no = redemptions.decide_as_beneficiary(session, no.id, declined.redemption.id, False, now=NOW)
    assert (said_no.status, said_no.balance_left) == (RedemptionStatus.REFUSED, Decimal(30))
    assert balance_matches_ledger(session, yes_wallet.id) and balance_matches_ledger(session, no_wallet.id)
    assert redemptions.pending_for_citizen(session, yes.id, now=NOW) == []
    again = refused(redemptions.decide_as_beneficiary, session, no.id, declined.redemption.id, True, now=NOW)
    assert again.reason is Reason.FINISHED


def test_today_totals_count_the_dhaka_day(session):
    outlet = make_outlet(session)
    # 23:30 Dhaka on the 9th, then 00:30 and 11:00 Dhaka on the 10th.
    moments = [
        dt.datetime(2026, 11, 9, 17, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 9, 18, 30, tzinfo=dt.UTC),
        NOW,
    ]
    for moment in moments:
        citizen, _ = beneficiary(session)
        started = start(session, outlet, citizen.mobile, "10", now=moment)
        redemptions.confirm_code(session, outlet, started.redemption.id, started.code, now=moment)
    totals = redemptions.today_totals(session, outlet, now=NOW)
    assert [(t.programme_code, t.unit, t.redemptions, t.quantity) for t in totals] == [
        ("FFP", "kg rice", 2, Decimal(20))
    ]


def test_the_sweep_expires_codes_past_their_ten_minutes(session):
    outlet = make_outlet(session)
    fresh, stale = beneficiary(session), beneficiary(session)
    kept = start(session, outlet, fresh[0].mobile, now=NOW)
    old = start(session, outlet, stale[0].mobile, now=NOW - dt.timedelta(minutes=11))
    assert redemptions.expire_due(session, now=NOW) == 1
    statuses = {r.id: r.status for r in session.scalars(select(Redemption).execution_options(populate_existing=True))}
    assert statuses == {kept.redemption.id: RedemptionStatus.AWAITING_CODE, old.redemption.id: RedemptionStatus.EXPIRED}


def test_parse_quantity_reads_what_an_operator_types():
    assert redemptions.parse_quantity("২.৫") == Decimal("2.5")
    assert redemptions.parse_quantity(30) == Decimal(30)
    # Only 0-9 (Bengali digits converted): Decimal alone reads Arabic-Indic digits and "1_0".
    for bad in ("abc", True, None, "NaN", "Infinity", "1e9", "١٠", "1_0", "٣", "+5", " 1 0"):
        with pytest.raises(Refused):
            redemptions.parse_quantity(bad)
    assert utcnow()  # the default clock is UTC-aware


def _cancel_by_guessing(session, outlet, who, now):
    started = start(session, outlet, who, quantity="1", now=now)
    wrong = f"{(int(started.code) + 1) % 1_000_000:06d}"
    for _ in range(redemptions.MAX_WRONG_CODES):
        refused(redemptions.confirm_code, session, outlet, started.redemption.id, wrong, now=now)


def test_two_cancelled_redemptions_of_one_e_token_in_a_day_pause_its_redemptions(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    for minutes in (0, 1):
        _cancel_by_guessing(session, outlet, citizen.mobile, NOW + dt.timedelta(minutes=minutes))
    assert refused(start, session, outlet, citizen.mobile, now=NOW + dt.timedelta(minutes=2)).reason is Reason.PAUSED
    # Another outlet too: the guessing is about the e-token, wherever it is tried.
    other = make_outlet(session)
    assert refused(start, session, other, citizen.mobile, now=NOW + dt.timedelta(minutes=3)).reason is Reason.PAUSED
    # A day later the e-token can be redeemed again.
    assert start(session, outlet, citizen.mobile, now=NOW + dt.timedelta(days=1, minutes=2)).created
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(30)


def test_ten_wrong_codes_at_one_outlet_in_an_hour_pause_its_starts(session):
    outlet = make_outlet(session)
    people = [beneficiary(session)[0] for _ in range(5)]
    for n, person in enumerate(people[:3]):  # 9 wrong codes, across three people's e-tokens
        _cancel_by_guessing(session, outlet, person.mobile, NOW + dt.timedelta(minutes=n))
    started = start(session, outlet, people[3].mobile, now=NOW + dt.timedelta(minutes=5))  # 9: still allowed
    wrong = f"{(int(started.code) + 1) % 1_000_000:06d}"
    refused(redemptions.confirm_code, session, outlet, started.redemption.id, wrong, now=NOW + dt.timedelta(minutes=6))
    late = NOW + dt.timedelta(minutes=7)
    assert refused(start, session, outlet, people[4].mobile, now=late).reason is Reason.PAUSED
    # Another outlet is not paused, and this one starts again an hour after the guessing.
    assert start(session, make_outlet(session), people[4].mobile, now=late).created
    people_again = beneficiary(session)[0]
    assert start(session, outlet, people_again.mobile, now=NOW + dt.timedelta(hours=1, minutes=10)).created


def test_the_same_request_id_for_another_programme_the_outlet_serves_is_refused(session):
    outlet = make_outlet(session, programmes=("FFP", "MHV"))
    citizen, _ = beneficiary(session)
    funded_wallet(session, citizen, "MHV", balance="2", unit="voucher")
    first = start(session, outlet, citizen.mobile, quantity="1", programme="FFP", request_id="app-7")
    assert first.redemption.programme_code == "FFP"
    again = refused(start, session, outlet, citizen.mobile, quantity="1", programme="MHV", request_id="app-7")
    assert again.reason is Reason.REQUEST_ID_REUSED


@pytest.mark.parametrize("outlet_by", ["outlet_id", "token_hash"])
def test_the_hours_wrong_codes_are_summed_from_the_partial_index_not_the_outlets_redemptions(session, outlet_by):
    """Every start sums its outlet's wrong codes of the last hour: PostgreSQL reads that from
    the index of redemptions with a wrong code, whatever a busy dealer's hour holds; in the
    generic plan too, which a statement prepared by the driver (psycopg prepares one after 5
    runs on a connection) is planned with once, for any parameters."""
    from sqlalchemy import text

    from tests.plans import generic_plan

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite's planner is not the one to check (CI's PostgreSQL pass runs this)")
    statement = redemptions._candidates_of(select(func.min(1)).scalar_subquery(), redemptions._OUTLET_IS[outlet_by])
    hour_ago = utcnow() - dt.timedelta(hours=1)
    compiled = statement.compile(session.get_bind())
    outlet = {"outlet_id": 1, "token_hash": "0" * 64}[outlet_by]
    params = {**compiled.params, outlet_by: outlet, "hour_ago": hour_ago, "day_ago": hour_ago}
    # A tiny table: forbid whole-table reads so that the plan shows what the planner can use.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    connection = session.connection()
    plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", params))
    assert "ix_redemptions_outlet_wrong_codes" in plan, plan

    generic = generic_plan(connection, statement, params)
    assert "ix_redemptions_outlet_wrong_codes" in generic, generic


# --- an API call's presented token, checked by the call's first statement ------------------


def _presented(session, outlet):
    from registry.outlets import PresentedToken, issue_token

    return PresentedToken.of(issue_token(session, outlet.code))


def _rows_written(session) -> tuple:
    session.expire_all()
    return sorted(session.execute(select(Redemption.id, Redemption.status, Redemption.wrong_codes)).all())


def test_a_presented_token_starts_as_its_outlet_with_its_registered_operator(session):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    token = _presented(session, outlet)
    started = redemptions.start(session, token, None, citizen.mobile, Decimal(10), None, RedemptionChannel.API, now=NOW)
    assert (started.redemption.outlet_id, started.redemption.operator_mobile) == (outlet.id, outlet.operator_mobile)
    assert token.outlet is not None and (token.outlet.id, token.outlet.code) == (outlet.id, outlet.code)
    confirming = _presented(session, outlet)
    confirmed = redemptions.confirm_code(session, confirming, started.redemption.id, started.code, now=NOW)
    assert confirmed.status is RedemptionStatus.COMPLETED and confirming.outlet.id == outlet.id
    assert balance_matches_ledger(session, wallet.id)


def test_a_token_that_is_no_outlets_is_told_so_and_nothing_is_written(session):
    from registry.outlets import PresentedToken, UnknownToken

    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile, "1")
    before = _rows_written(session)
    unknown = PresentedToken.of("not-a-token")
    for who in (citizen.mobile, "01799999999"):  # with a wallet the outlet serves, and without
        with pytest.raises(UnknownToken):
            redemptions.start(session, unknown, None, who, Decimal(1), None, RedemptionChannel.API, now=NOW)
    for code in ("000000", started.code):
        with pytest.raises(UnknownToken):
            redemptions.confirm_code(session, PresentedToken.of("not-a-token"), started.redemption.id, code, now=NOW)
    assert _rows_written(session) == before


def test_another_outlets_token_finds_no_redemption_and_counts_no_wrong_code(session):
    outlet, other = make_outlet(session), make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile, "1")
    before = _rows_written(session)
    for code in ("000000", started.code):
        assert (
            refused(
                redemptions.confirm_code, session, _presented(session, other), started.redemption.id, code, now=NOW
            ).reason
            is Reason.NOT_FOUND
        )
    assert _rows_written(session) == before


def _lost_connection():
    from sqlalchemy.exc import OperationalError

    return OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)


def test_a_first_statement_that_meets_a_dead_connection_is_sent_once_more(session):
    session.commit()  # nothing begun: the statement would begin the transaction
    calls = []

    def run():
        calls.append(1)
        if len(calls) == 1:
            raise _lost_connection()
        return "answered"

    assert redemptions._first_statement(session, run) == "answered" and len(calls) == 2


def test_a_statement_inside_a_begun_transaction_is_never_sent_again(session):
    from sqlalchemy.exc import OperationalError

    session.execute(select(1))  # the transaction has begun: what it did is lost with the connection
    calls = []

    def run():
        calls.append(1)
        raise _lost_connection()

    with pytest.raises(OperationalError):
        redemptions._first_statement(session, run)
    assert len(calls) == 1


def test_a_listener_that_records_on_a_start_only_by_itself_has_it_in_the_starts_transaction(app, session):
    """A listener offering no part of the start's statement is told inside the session's
    transaction, as before, and what it wrote commits with the redemption."""
    from outbound_sms.models import Message
    from outbound_sms.sending import NewMessage, create_messages
    from registry import events

    def record(own, notice, code):
        return create_messages(
            own, [NewMessage(notice.mobile, "own " + code, "en", "test", f"own:{notice.redemption_id}")]
        )

    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    session.commit()
    subscribed = app.extensions["registry.listeners"]
    app.extensions["registry.listeners"] = [*subscribed, events.Listener(redemption_started=record)]
    try:
        started = redemptions.start(
            session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(1), None, RedemptionChannel.API
        )
    finally:
        app.extensions["registry.listeners"] = subscribed
    session.rollback()
    texts = session.scalars(select(Message.text).where(Message.template == "test")).all()
    assert texts == ["own " + started.code]


def test_a_listener_that_records_on_a_completion_only_by_itself_is_told_with_the_balance_left(app, session):
    from registry import events

    heard = []
    outlet = make_outlet(session)
    citizen, _ = beneficiary(session)
    started = start(session, outlet, citizen.mobile, "10")
    subscribed = app.extensions["registry.listeners"]
    app.extensions["registry.listeners"] = [
        *subscribed,
        events.Listener(redemption_completed=lambda own, notice: heard.append(notice.balance) or []),
    ]
    try:
        redemptions.confirm_code(session, outlet, started.redemption.id, started.code, now=NOW)
    finally:
        app.extensions["registry.listeners"] = subscribed
    assert heard == [Decimal(20)]


def test_a_balance_changed_between_a_confirms_read_and_its_write_is_debited_the_careful_way(app, session, monkeypatch):
    """On PostgreSQL a confirm reads, then writes only if the redemption and the balance are
    as read. An import crediting the wallet in between makes that write find nothing to do
    and write nothing (no receipt either); the careful way then debits once, and the receipt
    gives the balance really left."""
    from sqlalchemy import update

    from foundation.db import database
    from outbound_sms.models import Message
    from registry.models import Language

    if database(app).engine.dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite has no data-modifying CTEs (CI's PostgreSQL pass runs this)")
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session, language=Language.ENGLISH)
    started = redemptions.start(
        session, _presented(session, outlet), None, citizen.mobile, Decimal(10), None, RedemptionChannel.API
    )
    token, wallet_id = _presented(session, outlet), wallet.id
    as_read = redemptions._COMPLETE_AS_READ.run
    tried: list[object] = []

    def an_import_first(connection, parts, **values):
        with database(app).engine.begin() as importing:
            importing.execute(update(ETokenWallet).where(ETokenWallet.id == wallet_id).values(balance=35))
        tried.append(row := as_read(connection, parts, **values))
        return row

    monkeypatch.setattr(redemptions._COMPLETE_AS_READ, "run", an_import_first)
    confirmed = redemptions.confirm_code(session, token, started.redemption.id, started.code)
    assert tried == [None]  # the write found the balance changed, and wrote nothing
    assert (confirmed.status, confirmed.balance_left) == (RedemptionStatus.COMPLETED, Decimal(25))
    session.expire_all()
    debits = session.scalars(select(ETokenLedgerEntry).where(ETokenLedgerEntry.reason == "redeem")).all()
    assert len(debits) == 1 and session.get(ETokenWallet, wallet_id).balance == Decimal(25)
    [receipt] = session.scalars(select(Message.text).where(Message.template == "redemption_receipt")).all()
    assert "E-token left: 25" in receipt


def _started_by_an_app(app, session):
    """On PostgreSQL (skipped elsewhere): an outlet, its beneficiary's wallet of 30 and a
    start of 10 as an outlet app makes it."""
    from foundation.db import database

    if database(app).engine.dialect.name != "postgresql":
        pytest.skip("embedded mode: SQLite has no data-modifying CTEs (CI's PostgreSQL pass runs this)")
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    started = redemptions.start(
        session, _presented(session, outlet), None, citizen.mobile, Decimal(10), None, RedemptionChannel.API
    )
    return outlet, citizen, wallet, started


def _confirm_with_a_write_first(app, monkeypatch, before_the_write):
    """``_COMPLETE_AS_READ`` runs after ``before_the_write()``; what it returned is kept."""
    as_read = redemptions._COMPLETE_AS_READ.run
    tried: list[object] = []

    def first(connection, parts, **values):
        before_the_write()
        tried.append(row := as_read(connection, parts, **values))
        return row

    monkeypatch.setattr(redemptions._COMPLETE_AS_READ, "run", first)
    return tried


def test_a_redemption_refused_between_a_confirms_read_and_its_write_is_not_debited(app, session, monkeypatch):
    from foundation.db import database
    from grievance.models import CitizenQuestion, QuestionKind
    from outbound_sms.models import Message

    outlet, citizen, wallet, started = _started_by_an_app(app, session)
    token, rid, citizen_id, wallet_id = _presented(session, outlet), started.redemption.id, citizen.id, wallet.id

    def the_beneficiary_refuses():
        with app.app_context():
            own = database(app).sessions()
            redemptions.decide_as_beneficiary(own, citizen_id, rid, accept=False)
            own.close()

    tried = _confirm_with_a_write_first(app, monkeypatch, the_beneficiary_refuses)
    assert refused(redemptions.confirm_code, session, token, rid, started.code).reason is Reason.FINISHED
    assert tried == [None]
    session.expire_all()
    assert session.get(ETokenWallet, wallet_id).balance == Decimal(30)
    assert session.scalars(select(ETokenLedgerEntry).where(ETokenLedgerEntry.reason == "redeem")).all() == []
    assert session.scalars(select(Message).where(Message.template == "redemption_receipt")).all() == []
    asked = session.scalars(select(CitizenQuestion.kind).where(CitizenQuestion.subject_id == rid)).all()
    assert asked == [QuestionKind.REDEMPTION_CODE]


def test_a_confirms_one_statement_that_gives_way_to_a_deadlock_leaves_it_to_the_careful_way(app, session, monkeypatch):
    import psycopg
    from sqlalchemy.exc import OperationalError

    outlet, _citizen, wallet, started = _started_by_an_app(app, session)

    def deadlocked(connection, parts, **values):
        raise OperationalError("WITH still_awaiting ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(redemptions._COMPLETE_AS_READ, "run", deadlocked)
    confirmed = redemptions.confirm_code(session, _presented(session, outlet), started.redemption.id, started.code)
    assert (confirmed.status, confirmed.balance_left) == (RedemptionStatus.COMPLETED, Decimal(20))
    assert balance_matches_ledger(session, wallet.id)
