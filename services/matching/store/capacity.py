"""The capacity guards, in SQL: the one place that raises ``active_cases`` (:func:`book_place`, only
while it stays below ``capacity`` and the supporter is available) and the one place that lowers it
(:func:`free_capacity`, never below 0); the table's CHECKs back both up."""

from __future__ import annotations

from services.kit.db import Conn
from services.matching.store.supporters import AVAILABLE


async def book_capacity(conn: Conn, supporter_id: str) -> bool:
    """Take one place of the supporter's capacity; False when none is left (or they are not available).

    The row lock of the UPDATE makes concurrent bookings wait for each other and re-check the
    condition, so several matching instances can never overbook a supporter.
    """
    return await book_place(conn, supporter_id) is not None


async def book_place(conn: Conn, supporter_id: str) -> int | None:
    """:func:`book_capacity` that returns the supporter's booked places afterwards (None: not booked)."""
    booked: int | None = await conn.fetchval(
        "UPDATE supporters SET active_cases = active_cases + 1"
        f" WHERE id = $1 AND {AVAILABLE} AND active_cases < capacity RETURNING active_cases",
        supporter_id,
    )
    return booked


async def free_capacity(conn: Conn, supporter_id: str) -> int:
    """Give back one place and return the places still booked; the guard keeps ``active_cases`` at 0
    or more.

    Every open assignment holds exactly one booked place, so finding none to give back means the
    books are wrong: that raises (the transaction rolls back) rather than hiding it.
    """
    freed: int | None = await conn.fetchval(
        "UPDATE supporters SET active_cases = active_cases - 1 WHERE id = $1 AND active_cases > 0"
        " RETURNING active_cases",
        supporter_id,
    )
    if freed is None:
        raise RuntimeError(f"supporter {supporter_id!r} has no booked place to free")
    return freed
