"""Published open data, frozen: what a download serves once a month has been published.

A published cell is never updated or deleted. Recounting live complaints for each download
let anyone difference two downloads (one status change turned a "<5" into an exact 1);
serving stored cells makes every re-download of a month byte-for-byte the same.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base


class OpenDataMonth(Base):
    """A month (Dhaka calendar) whose complaint counts are published. The primary key is what
    makes publishing safe to run twice or in two processes at once: only one row per month
    can ever be inserted, and only the process that inserted it writes the month's cells."""

    __tablename__ = "open_data_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OpenDataCell(Base):
    """One published count: complaints filed in ``month`` with these values.

    Plain strings, not foreign keys or enums: a published file must not change when a
    programme is renamed or a status retired later.
    """

    __tablename__ = "open_data_cells"

    month: Mapped[str] = mapped_column(ForeignKey("open_data_months.month"), primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" when none was given
    ministry: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" while not routed
    district: Mapped[str] = mapped_column(String(60), primary_key=True)  # English name; "" when unknown
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)  # when the month was published
    # None: suppressed (fewer than SUPPRESS_BELOW); the true count is not kept here either.
    complaints: Mapped[int | None] = mapped_column(Integer)
