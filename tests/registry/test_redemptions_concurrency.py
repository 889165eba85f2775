"""registry.redemptions under real concurrency: threads, each with its own connection.

PostgreSQL only: SQLite serialises writers for the whole database, so nothing here could
race there (and its "database is locked" waits would only measure busy_timeout)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from foundation.db import database
from grievance import questions
from grievance.models import Channel, Grievance, QuestionKind
from grievance.redemption_answers import RedemptionAnswer
from registry import redemptions
from registry.models import ETokenLedgerEntry, ETokenWallet, Outlet, Redemption, RedemptionChannel, RedemptionStatus
from registry.redemptions import Refused
from tests.fast_path import app_both_ways  # noqa: F401  (run on the fast path and without it)
from tests.redemption_support import balance_matches_ledger, beneficiary, make_outlet


@pytest.fixture
def postgresql(app):
    if database(app).engine.dialect.name == "sqlite":
        pytest.skip("embedded mode: SQLite serialises writers, there is no race to test (CI's second pass runs this)")


class Callers:
    """How a thread names its outlet: the ORM row, as USSD and SMS do (its session's
    transaction has begun when the start runs), or the token an outlet app presents (nothing
    begun: on PostgreSQL a start is then one read and one statement on an autocommit
    connection, and a confirm's lock checks the token)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.tokens: dict[int, str] = {}

    def issue(self, session, *outlets) -> None:
        from registry.outlets import issue_token

        for outlet in outlets:
            self.tokens[outlet.id] = issue_token(session, outlet.code)

    def __call__(self, own, outlet_id: int):
        """(the outlet, the operator's phone) for a start or a confirm."""
        if self.kind == "outlet":
            outlet = own.get(Outlet, outlet_id)
            return outlet, outlet.operator_mobile
        from registry.outlets import PresentedToken

        return PresentedToken.of(self.tokens[outlet_id]), None


@pytest.fixture(params=["outlet", "token"])
def callers(request) -> Callers:
    return Callers(request.param)


def all_at_once(app, count: int, work: Callable[[object], object]) -> list[object]:
    """Run ``work(session)`` in ``count`` threads released together; each its own session."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(place: int) -> None:
        with app.app_context():
            session = database(app).sessions()
            try:
                barrier.wait()
                results[place] = work(session)
            except Refused as refused:
                results[place] = refused.reason
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_simultaneous_starts_on_one_wallet_leave_exactly_one_pending(app, session, postgresql, callers):
    outlets = [make_outlet(session) for _ in range(5)]
    citizen, wallet = beneficiary(session)
    ids = [o.id for o in outlets]
    callers.issue(session, *outlets)

    def start(own):
        outlet, operator = callers(own, ids[threading.get_ident() % len(ids)])
        return redemptions.start(
            own, outlet, operator, citizen.mobile, Decimal(1), None, RedemptionChannel.API
        ).redemption.id

    results = all_at_once(app, 50, start)
    counts = Counter(type(r).__name__ if isinstance(r, int) else r for r in results)
    assert counts == {"int": 1, redemptions.Reason.PENDING_EXISTS: 49}
    pending = select(func.count()).select_from(Redemption).where(Redemption.status == RedemptionStatus.AWAITING_CODE)
    assert session.scalar(pending.where(Redemption.wallet_id == wallet.id)) == 1


def test_one_redemption_confirmed_twenty_times_at_once_is_debited_once(app, session, postgresql, callers):
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    callers.issue(session, outlet)
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(3), None, RedemptionChannel.API
    )
    outlet_id, redemption_id, code = outlet.id, started.redemption.id, started.code

    results = all_at_once(
        app, 20, lambda own: redemptions.confirm_code(own, callers(own, outlet_id)[0], redemption_id, code)
    )
    assert {(r.status, r.balance_left) for r in results} == {(RedemptionStatus.COMPLETED, Decimal(27))}
    debits = select(func.count()).select_from(ETokenLedgerEntry).where(ETokenLedgerEntry.wallet_id == wallet.id)
    assert session.scalar(debits.where(ETokenLedgerEntry.reason == "redeem")) == 1
    session.expire_all()
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(27)
    assert balance_matches_ledger(session, wallet.id)


def test_ten_units_redeemed_one_at_a_time_from_two_outlets_complete_ten_and_refuse_the_eleventh(
    app, session, postgresql, callers
):
    first, second = make_outlet(session), make_outlet(session)
    callers.issue(session, first, second)
    citizen, wallet = beneficiary(session, balance="10")
    outlet_ids, wallet_id, mobile = (first.id, second.id), wallet.id, citizen.mobile
    completed: list[int] = []
    final_refusals: list[redemptions.Reason] = []
    mismatches: list[str] = []
    lock = threading.Lock()

    def operator(outlet_id: int) -> None:
        with app.app_context():
            own = database(app).sessions()
            try:
                while True:
                    outlet, operator = callers(own, outlet_id)
                    try:
                        started = redemptions.start(
                            own, outlet, operator, mobile, Decimal(1), None, RedemptionChannel.API
                        )
                        redemptions.confirm_code(own, outlet, started.redemption.id, started.code)
                        with lock:
                            completed.append(started.redemption.id)
                    except Refused as refused:
                        if refused.reason is redemptions.Reason.PENDING_EXISTS:
                            continue  # the other outlet holds the wallet for a moment
                        with lock:
                            final_refusals.append(refused.reason)
                        return
                    finally:
                        if not balance_matches_ledger(own, wallet_id):
                            mismatches.append("balance != ledger")
                        own.rollback()
            finally:
                own.close()

    threads = [threading.Thread(target=operator, args=(i,)) for i in outlet_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(completed) == 10
    assert final_refusals == [redemptions.Reason.OVER_BALANCE] * 2  # each outlet's 11th
    assert mismatches == []
    session.expire_all()
    assert session.get(ETokenWallet, wallet_id).balance == Decimal(0)
    assert balance_matches_ledger(session, wallet_id)


def test_a_confirm_does_not_wait_for_the_beneficiarys_two_and_the_two_is_still_filed(
    app, session, postgresql, callers, no_dispatch, monkeypatch
):
    """The beneficiary's "2" to the code's SMS locks that question, then the redemption; the
    operator's confirm holds the redemption, then closes the same question. Neither may wait
    for the other: the confirm leaves the question to the answer being recorded (which closes
    it), completes, and the "2" then finds the redemption completed: its complaint disputes
    the handover (it does not claim to have stopped it)."""
    outlet = make_outlet(session)
    citizen, wallet = beneficiary(session)
    callers.issue(session, outlet)
    started = redemptions.start(
        session, outlet, outlet.operator_mobile, citizen.mobile, Decimal(3), None, RedemptionChannel.API
    )
    outlet_id, redemption_id, code, mobile = outlet.id, started.redemption.id, started.code, citizen.mobile

    question_locked, may_go_on = threading.Event(), threading.Event()
    handlers = questions.handlers(app)
    code_answered = handlers[QuestionKind.REDEMPTION_CODE]

    def held_once_locked(*arguments):  # the question is locked by now (questions._latest_open)
        question_locked.set()
        may_go_on.wait(30)
        return code_answered(*arguments)

    monkeypatch.setitem(handlers, QuestionKind.REDEMPTION_CODE, held_once_locked)
    results: dict[str, object] = {}

    def in_own_session(name: str, work: Callable[[object], object]) -> threading.Thread:
        def run() -> None:
            with app.app_context():
                own = database(app).sessions()
                try:
                    results[name] = work(own)
                except Exception as error:  # a deadlock's loser, for the assertion to show
                    results[name] = error
                finally:
                    own.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    reply = in_own_session("reply", lambda own: questions.answer(own, mobile, False, Channel.SMS))
    try:
        assert question_locked.wait(30)
        confirm = in_own_session(
            "confirm", lambda own: redemptions.confirm_code(own, callers(own, outlet_id)[0], redemption_id, code)
        )
        confirm.join(10)
        confirm_waited = confirm.is_alive()
    finally:
        may_go_on.set()
        reply.join(30)
    confirm.join(30)

    assert not confirm_waited, "the confirm waited for the reply's lock on the code's question"
    assert results["confirm"].status is RedemptionStatus.COMPLETED, results["confirm"]
    answered = results["reply"]
    assert answered.outcome is RedemptionAnswer.DISPUTED and answered.tracking_number, answered
    session.expire_all()
    grievance = session.scalars(select(Grievance).where(Grievance.tracking_number == answered.tracking_number)).one()
    assert grievance.redemption_id == redemption_id and "completed" in grievance.text
    assert "answered 2 to the code" in grievance.text
    assert session.get(Redemption, redemption_id).status is RedemptionStatus.COMPLETED
    assert session.get(ETokenWallet, wallet.id).balance == Decimal(27)
    assert balance_matches_ledger(session, wallet.id)
    # The code's question was answered; a "2" to the receipt finds the same complaint.
    assert questions.open_question(session, mobile, QuestionKind.REDEMPTION_CODE, redemption_id) is None
    again = questions.answer(session, mobile, False, Channel.SMS)
    assert (again.outcome, again.tracking_number) == (RedemptionAnswer.DISPUTED, answered.tracking_number)
    complaints = select(func.count()).select_from(Grievance).where(Grievance.redemption_id == redemption_id)
    assert session.scalar(complaints) == 1
