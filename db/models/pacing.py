"""The shared pacing budget (issue 16): one row per provider account and catalog limit, used on PostgreSQL so every
process draws from one budget (services/runtime/pacing.py, ``SharedPacer``). SQLite keeps the in-process pacer and
never writes here."""

from __future__ import annotations

from sqlalchemy import JSON, Float, Integer, String, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, intpk

# float8[] on PostgreSQL (the reservation statement slices and appends it); JSON elsewhere (never used there).
TIMES = JSON().with_variant(postgresql.ARRAY(Float(precision=53)), "postgresql")


class PacingWindow(Base):
    """``kind`` "window": the last ``capacity`` send times (epoch seconds, the database's clock) of a sliding window
    of ``per_seconds``; "slots": the lease expiries of the concurrency slots held now."""

    __tablename__ = "pacing_windows"
    __table_args__ = (UniqueConstraint("service", "account_key", "limit_index"),)

    id: Mapped[intpk]
    service: Mapped[str] = mapped_column(String(64))
    account_key: Mapped[str] = mapped_column(String(300))
    limit_index: Mapped[int] = mapped_column(Integer)   # the position in the catalog's rate_limits; -1: slots
    kind: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    per_seconds: Mapped[float | None] = mapped_column(Float)
    times: Mapped[list[float]] = mapped_column(TIMES, default=list)
