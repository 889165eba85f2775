"""Enrolments, payments and e-tokens imports."""

import csv
from decimal import Decimal

from sqlalchemy import func, select

from registry.etokens import ledger_sum
from registry.imports import run_import
from registry.models import (
    Enrolment,
    EnrolmentStatus,
    ETokenLedgerEntry,
    ETokenWallet,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from tests.registry.conftest import snapshot

RAHIMA, KARIM = "1958123456789", "1234567890"


def enrolment(**changes):
    row = {
        "nid": RAHIMA,
        "programme": "WDA",
        "status": "active",
        "enrolled_on": "2023-07-01",
        "payment_channel": "Nagad",
        "account_number": "01712345678",
    }
    return {**row, **changes}


def payment(**changes):
    row = {
        "nid": RAHIMA,
        "programme": "WDA",
        "cycle": "2026-07",
        "amount_bdt": "550",
        "status": "credited",
        "paid_on": "2026-07-14",
        "channel": "nagad",
        "txn_id": "NG123",
        "failure_reason": "",
    }
    return {**row, **changes}


def etoken(**changes):
    row = {"nid": RAHIMA, "programme": "FFP", "balance": "30", "unit": "kg rice", "expires_on": "2026-12-31"}
    return {**row, **changes}


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_enrolments_import_and_upsert_by_nid_and_programme(session, two_citizens, write_csv):
    path = write_csv(
        "enrolments",
        [enrolment(), enrolment(nid=KARIM, programme="oaa", payment_channel="post office", account_number="")],
    )
    assert run_import(session, "enrolments", path).committed
    wda = session.scalar(select(Enrolment).where(Enrolment.programme_code == "WDA"))
    assert wda.payment_channel is PaymentChannel.NAGAD and wda.account_number == "01712345678"
    oaa = session.scalar(select(Enrolment).where(Enrolment.programme_code == "OAA"))
    assert oaa.payment_channel is PaymentChannel.POST_OFFICE and oaa.account_number is None
    before = snapshot(session, Enrolment)
    assert run_import(session, "enrolments", path).committed
    assert snapshot(session, Enrolment) == before
    suspended = write_csv("enrolments", [enrolment(status="suspended")], name="suspend.csv")
    assert run_import(session, "enrolments", suspended).committed
    assert count(session, Enrolment) == 2
    session.refresh(wda)
    assert wda.status is EnrolmentStatus.SUSPENDED


def test_enrolment_bad_rows_name_line_and_column(session, two_citizens, write_csv):
    path = write_csv(
        "enrolments",
        [
            enrolment(),
            enrolment(nid="9999999999", programme="OAA"),  # unknown citizen (found at batch level)
            enrolment(programme="XYZ"),  # unknown programme
            enrolment(programme="PDA", payment_channel="cash in hand"),
            enrolment(programme="OAA", status="paused"),
        ],
    )
    report = run_import(session, "enrolments", path)
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "nid"),
        (4, "programme"),
        (5, "payment_channel"),
        (6, "status"),
    ]
    assert "import citizens first" in report.problems[0].reason
    assert count(session, Enrolment) == 0


def test_payments_import_and_idempotence(session, two_citizens, write_csv):
    path = write_csv(
        "payments",
        [
            payment(),
            payment(
                cycle="2026-08",
                status="failed",
                paid_on="2026-08-14",
                txn_id="",
                failure_reason="wallet account inactive",
            ),
            payment(cycle="2026-11", status="scheduled", paid_on="", txn_id=""),
        ],
    )
    assert run_import(session, "payments", path).committed
    payments = {p.cycle: p for p in session.scalars(select(Payment))}
    assert payments["2026-07"].status is PaymentStatus.CREDITED and payments["2026-07"].amount_bdt == Decimal(550)
    assert payments["2026-08"].failure_reason == "wallet account inactive"
    assert payments["2026-11"].txn_id is None
    before = snapshot(session, Payment)
    assert run_import(session, "payments", path).committed
    assert snapshot(session, Payment) == before


def test_scheduled_payment_becomes_credited_in_place(session, two_citizens, write_csv):
    scheduled = write_csv("payments", [payment(status="scheduled", paid_on="", txn_id="")], name="s.csv")
    assert run_import(session, "payments", scheduled).committed
    credited = write_csv("payments", [payment()], name="c.csv")
    assert run_import(session, "payments", credited).committed
    [only] = session.scalars(select(Payment)).all()
    assert (only.status, only.txn_id) == (PaymentStatus.CREDITED, "NG123")


def test_payment_rules_per_status_and_txn_uniqueness(session, two_citizens, write_csv):
    assert run_import(session, "payments", write_csv("payments", [payment()], name="first.csv")).committed
    path = write_csv(
        "payments",
        [
            payment(cycle="2026-09", txn_id=""),  # credited needs txn_id
            payment(cycle="2026-10", status="returned", failure_reason=""),  # returned needs a reason
            payment(cycle="2026-13", txn_id="A1"),  # bad cycle
            payment(nid=KARIM, programme="OAA", txn_id="NG123"),  # txn of another payment
            payment(cycle="2026-06", amount_bdt="-5", txn_id="A2"),
        ],
    )
    report = run_import(session, "payments", path)
    assert [(p.line, p.column) for p in report.problems] == [
        (2, "txn_id"),
        (3, "failure_reason"),
        (4, "cycle"),
        (5, "txn_id"),
        (6, "amount_bdt"),
    ]
    assert report.problems[3].reason == "txn_id already belongs to another payment"
    assert count(session, Payment) == 1


def test_etokens_import_keeps_balance_equal_to_ledger(session, two_citizens, write_csv):
    assert run_import(
        session, "etokens", write_csv("etokens", [etoken(), etoken(nid=KARIM, programme="VGF", balance="10")])
    ).committed
    wallet = session.scalar(select(ETokenWallet).where(ETokenWallet.programme_code == "FFP"))
    assert wallet.balance == Decimal(30) and ledger_sum(session, wallet.id) == Decimal(30)
    entries_before = count(session, ETokenLedgerEntry)
    before = snapshot(session, ETokenWallet, ETokenLedgerEntry)
    assert run_import(session, "etokens", write_csv("etokens", [etoken()], name="same.csv")).committed
    assert snapshot(session, ETokenWallet, ETokenLedgerEntry) == before
    assert run_import(session, "etokens", write_csv("etokens", [etoken(balance="12.5")], name="lower.csv")).committed
    session.refresh(wallet)
    assert wallet.balance == Decimal("12.5") and ledger_sum(session, wallet.id) == Decimal("12.5")
    assert count(session, ETokenLedgerEntry) == entries_before + 1
    for other in session.scalars(select(ETokenWallet)):
        assert other.balance == ledger_sum(session, other.id)


def test_etoken_bad_rows(session, two_citizens, write_csv):
    path = write_csv(
        "etokens", [etoken(balance="-1"), etoken(programme="VGF", unit=""), etoken(programme="MHV", expires_on="soon")]
    )
    report = run_import(session, "etokens", path)
    assert [(p.line, p.column) for p in report.problems] == [(2, "balance"), (3, "unit"), (4, "expires_on")]
    assert count(session, ETokenWallet) == 0


def test_skip_bad_for_payments_writes_reject_file(session, two_citizens, write_csv, tmp_path):
    path = write_csv("payments", [payment(), payment(nid="9999999999", txn_id="X9")])
    report = run_import(session, "payments", path, skip_bad=True)
    assert report.committed and report.rows_written == 1
    with open(report.reject_path, encoding="utf-8", newline="") as handle:
        [rejected] = list(csv.DictReader(handle))
    assert (rejected["_line"], rejected["_column"], rejected["txn_id"]) == ("3", "nid", "X9")
