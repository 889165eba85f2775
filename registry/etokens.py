"""E-token wallets: the balance only moves together with a ledger entry."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import CTE, ColumnElement, Connection, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import Session

from foundation.hot_select import HotStatement
from registry.models import ETokenLedgerEntry, ETokenWallet


def set_balances(
    session: Session, targets: Iterable[tuple[int, Decimal, Decimal]], reason: str
) -> list[tuple[int, Decimal]]:
    """Move wallets to target balances: ``(wallet_id, current, target)``.

    Writes one ledger entry of the difference per changed wallet, in the caller's
    transaction, so balance == sum(entries) always holds. Returns the new entries as
    ``(entry id, amount)``: a positive amount is a credit the citizen hears about.
    """
    changed = [(wallet_id, target - current, target) for wallet_id, current, target in targets if target != current]
    if not changed:
        return []
    entries = session.execute(
        insert(ETokenLedgerEntry).returning(
            ETokenLedgerEntry.id, ETokenLedgerEntry.amount, sort_by_parameter_order=True
        ),
        [{"wallet_id": wallet_id, "amount": delta, "reason": reason} for wallet_id, delta, _ in changed],
    ).all()
    table = ETokenWallet.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("wallet_id")).values(balance=bindparam("new_balance")),
        [{"wallet_id": wallet_id, "new_balance": target} for wallet_id, _, target in changed],
        execution_options={"synchronize_session": False},
    )
    return [(entry_id, Decimal(amount)) for entry_id, amount in entries]


def post_entry(session: Session, wallet: ETokenWallet, amount: Decimal, reason: str) -> None:
    """Credit (positive) or debit (negative) one wallet."""
    if wallet.balance + amount < 0:
        raise ValueError("an e-token balance cannot go below zero")
    session.add(ETokenLedgerEntry(wallet_id=wallet.id, amount=amount, reason=reason))
    wallet.balance += amount
    session.flush()


_WALLETS, _LEDGER = ETokenWallet.__table__, ETokenLedgerEntry.__table__
# The balance is lowered only if it covers the quantity, in the statement that locks the row:
# under any concurrency it never goes below zero (PostgreSQL re-checks the condition on the
# row as the lock found it).
# Both on the driver's cursor (foundation.hot_select): every redemption writes them.
_DEBIT = HotStatement(
    update(_WALLETS)
    .where(_WALLETS.c.id == bindparam("wallet"), _WALLETS.c.balance >= bindparam("quantity"))
    .values(balance=_WALLETS.c.balance - bindparam("quantity"))
    .returning(_WALLETS.c.balance, _WALLETS.c.unit),
    "wallet",
    "quantity",
)
_ENTRY = HotStatement(insert(_LEDGER), "wallet_id", "amount", "reason", "outlet_id", "operator_mobile", "redemption_id")


def debit_for_redemption(
    connection: Connection,
    wallet_id: int,
    quantity: Decimal,
    *,
    outlet_id: int,
    operator_mobile: str,
    redemption_id: int,
) -> tuple[Decimal, str] | None:
    """Debit a wallet for one redemption, with one ledger entry naming the outlet, its
    operator and the redemption (unique, so a redemption is debited once): the balance left
    and the unit, or None (nothing written) when the balance does not cover the quantity.
    In the caller's transaction, which must hold the redemption's lock."""
    if quantity <= 0:
        raise ValueError("a redemption debits a positive quantity")
    debited = _DEBIT.first(connection, wallet=wallet_id, quantity=quantity)
    if debited is None:
        return None
    _ENTRY.run(
        connection,
        wallet_id=wallet_id,
        amount=-quantity,
        reason="redeem",
        outlet_id=outlet_id,
        operator_mobile=operator_mobile,
        redemption_id=redemption_id,
    )
    return Decimal(debited[0]), debited[1]


def redemption_debit(*only_if: ColumnElement[bool]) -> tuple[CTE, CTE]:
    """``debit_for_redemption`` as two parts of one statement, for a caller on PostgreSQL
    that writes more in the same round trip: ``debited`` lowers the balance when it covers
    the quantity and returns the wallet's ``balance`` and ``unit``; ``entry`` writes the
    ledger entry from it, so only a debit that happened has one (PostgreSQL runs every
    data-modifying part of a WITH once, whether the outer query reads it or not). Parameters
    (named apart from every column, which SQLAlchemy would otherwise also set): ``b_wallet``,
    ``b_quantity``, ``b_outlet_id``, ``b_operator_mobile``, ``b_redemption_id``. SQLite
    has no data-modifying WITH: there ``debit_for_redemption`` is the way. ``only_if``: more
    conditions the debit needs (the caller's own parts of the statement)."""
    quantity = bindparam("b_quantity", type_=_WALLETS.c.balance.type)
    debited = (
        update(_WALLETS)
        .where(_WALLETS.c.id == bindparam("b_wallet"), _WALLETS.c.balance >= quantity, *only_if)
        .values(balance=_WALLETS.c.balance - quantity)
        .returning(_WALLETS.c.id, _WALLETS.c.balance, _WALLETS.c.unit)
        .cte("debited")
    )
    entry = insert(_LEDGER).from_select(
        ["wallet_id", "amount", "reason", "outlet_id", "operator_mobile", "redemption_id"],
        select(
            debited.c.id,
            -quantity,
            literal("redeem", _LEDGER.c.reason.type),
            bindparam("b_outlet_id", type_=_LEDGER.c.outlet_id.type),
            bindparam("b_operator_mobile", type_=_LEDGER.c.operator_mobile.type),
            bindparam("b_redemption_id", type_=_LEDGER.c.redemption_id.type),
        ),
    )
    return debited, entry.cte("entry")


def ledger_sum(session: Session, wallet_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(ETokenLedgerEntry.amount), 0)).where(ETokenLedgerEntry.wallet_id == wallet_id)
    )
    return Decimal(total)
