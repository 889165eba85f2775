import datetime as dt
from collections import Counter

from sqlalchemy import select

from grievance.models import Category, Grievance
from registry.demo import DEMO_AS_OF, generate_demo_data
from registry.etokens import ledger_sum
from registry.models import (
    Citizen,
    Enrolment,
    ETokenLedgerEntry,
    ETokenWallet,
    Household,
    Payment,
    PaymentStatus,
    Redemption,
    RedemptionStatus,
)
from tests.registry.conftest import snapshot

MODELS = (Household, Citizen, Enrolment, Payment, ETokenWallet)


def _content(session):
    """The data without surrogate ids, which depend on insertion history."""
    citizens = sorted(
        session.execute(
            select(
                Citizen.nid, Citizen.name_en, Citizen.name_bn, Citizen.mobile, Citizen.date_of_birth, Citizen.upazila_id
            )
        ).all()
    )
    payments = sorted(
        session.execute(select(Payment.txn_id, Payment.cycle, Payment.amount_bdt, Payment.status)).all(), key=repr
    )
    return citizens, payments


def _wipe(session):
    from tests.conftest import REGISTRY_TABLES

    for model in REGISTRY_TABLES:
        session.execute(model.__table__.delete())
    session.commit()


def test_same_seed_gives_the_same_data(session):
    generate_demo_data(session, 400, seed=11)
    first = _content(session)
    _wipe(session)
    generate_demo_data(session, 400, seed=11)
    assert _content(session) == first
    _wipe(session)
    generate_demo_data(session, 400, seed=12)
    assert _content(session) != first


def test_demo_registry_is_realistic(session):
    result = generate_demo_data(session, 1500, seed=5, as_of=dt.date(2026, 11, 1))
    citizens = session.scalars(select(Citizen)).all()
    assert len(citizens) == 1500
    assert {c.gender.value for c in citizens} >= {"M", "F"}
    assert len({c.district_id for c in citizens}) > 40  # spread over the country
    assert all(c.name_bn and not c.name_bn.isascii() for c in citizens)
    programmes = Counter(session.scalars(select(Enrolment.programme_code)))
    assert programmes["OAA"] > programmes["EGPP"]  # the real proportions, roughly
    statuses = Counter(session.scalars(select(Payment.status)))
    assert statuses[PaymentStatus.CREDITED] > statuses[PaymentStatus.FAILED] > 0
    assert statuses[PaymentStatus.RETURNED] > 0 and statuses[PaymentStatus.SCHEDULED] > 0
    assert all(p.failure_reason for p in session.scalars(select(Payment).where(Payment.status == PaymentStatus.FAILED)))
    wallets = session.scalars(select(ETokenWallet)).all()
    assert wallets and all(w.balance == ledger_sum(session, w.id) for w in wallets)
    assert len(result.samples) >= 2 and all(m.startswith("+8801") for m, _ in result.samples)


def test_demo_data_can_be_loaded_twice_without_change(session):
    generate_demo_data(session, 200, seed=2)
    before = snapshot(session, *MODELS)
    generate_demo_data(session, 200, seed=2)
    assert snapshot(session, *MODELS) == before


def test_demo_payments_follow_each_programmes_schedule(session):
    generate_demo_data(session, 1500, seed=5, as_of=dt.date(2026, 11, 1))

    def payments(*codes):
        return session.execute(
            select(Payment.cycle, Payment.amount_bdt, Payment.status).where(Payment.programme_code.in_(codes))
        ).all()

    oaa = payments("OAA")
    assert oaa and {cycle for cycle, _, _ in oaa} == {"2026-01", "2026-04", "2026-07", "2026-10"}
    assert {amount for _, amount, _ in oaa} == {1800}  # three months of Tk 600 an instalment
    assert PaymentStatus.SCHEDULED not in {status for _, _, status in oaa}  # January's is the schedule's to say
    monthly = payments("MCBP", "FFH", "GPEN")
    assert monthly and {cycle for cycle, _, _ in monthly} == {"2026-07", "2026-08", "2026-09", "2026-10", "2026-11"}
    assert {cycle for cycle, _, status in monthly if status is PaymentStatus.SCHEDULED} == {"2026-11"}


def _signal_rows(session):
    from monitoring.signals import SIGNALS, Settings, rows

    settings = Settings(as_of=DEMO_AS_OF)
    return {name: list(rows(session, name, settings)[1]) for name in SIGNALS}


def test_the_demo_gives_every_signal_something_to_show(session):
    from sahayata.demo import load_demo

    load_demo(session, 300, seed=4)
    found = _signal_rows(session)
    assert [name for name, items in found.items() if not items] == []
    dealer = next(r for r in found["outlets"] if r["outlet"] == "DEMO-DEALER-1")
    assert dealer["disputed"] > 0 and dealer["night"] > 0 and dealer["outside_upazila"] > 0
    assert dealer["bursts"] > 0 and dealer["wrong_codes"] == 3 and dealer["cancelled"] == 1
    assert any(r["outlet"] == "DEMO-CLINIC-1" and r["redemptions"] == 1 for r in found["outlets"])
    assert any(r["denied"] > 0 for r in found["confirmations_by_channel"])
    assert any(r["confirmed"] > 0 for r in found["confirmations_by_channel"])
    assert any(r["households"] >= 3 for r in found["shared_accounts"])
    assert {"excluded", "included"} <= {r["finding"] for r in found["targeting_people"]}


def test_the_demo_redeems_through_the_service_and_its_ledger(session):
    from sahayata.demo import load_demo

    load_demo(session, 300, seed=4)
    completed = session.scalars(select(Redemption).where(Redemption.status == RedemptionStatus.COMPLETED)).all()
    assert len(completed) >= 15
    entries = {e.redemption_id: e for e in session.scalars(select(ETokenLedgerEntry)) if e.redemption_id}
    assert set(entries) == {r.id for r in completed}  # one debit per completed redemption, none for the cancelled
    assert all(entries[r.id].amount == -r.quantity and entries[r.id].outlet_id == r.outlet_id for r in completed)
    wallets = session.scalars(select(ETokenWallet)).all()
    assert all(w.balance == ledger_sum(session, w.id) for w in wallets)
    disputed = session.scalars(select(Grievance).where(Grievance.redemption_id.is_not(None))).all()
    assert disputed and all(g.citizen_id for g in disputed)
    # As a citizen's "2" files them: sensitive, never the local office's.
    assert {g.category for g in disputed} == {Category.ETOKEN_TAKEN}
