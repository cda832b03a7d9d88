"""Every area's figures at once: the report of the region and of each municipality read with grouped queries.

The store's figure statements take ``$1`` the area and filter with ``($1::text IS NULL OR <area> = $1)``
(or, for supporters serving several municipalities, ``$1 = ANY(<areas>)``). :class:`AreaReader` stands in
for the connection while :func:`~services.reporting.report.report_of` runs for every area side by side:
when every area waits on a statement, it runs that statement once, with ``$1`` NULL (every row) and
grouped by area as well (``GROUPING SETS``: the whole and per area in one scan), and hands each area its
rows. What an area gets is what the statement would have answered for it alone:

- a statement with aggregates: the region's rows are the grouping set without the area, an area's
  those of its group; an area without rows gets the answer of the statement over no rows (counts 0);
- a statement that lists rows: the region gets all of them, an area those in it;
- a statement over ``= ANY(<areas>)``: the region's answer on its own, the areas' grouped over the
  areas each row names (``unnest``, each area once per row).

Any other statement runs as it is, once per area.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from services.kit.db import Conn

_IN_AREA = re.compile(r"\(\$1::text IS NULL OR (?P<area>.+?) = \$1\)")
_IN_AREAS = re.compile(r"\(\$1::text IS NULL OR \$1 = ANY\((?P<areas>[^()]+)\)\)")
_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max|percentile_cont|percentile_disc)\s*\(", re.IGNORECASE)
_WORD = re.compile(r"\b(FROM|WHERE|GROUP BY)\b", re.IGNORECASE)
#: The columns the grouped statements add (last, so a row's first column stays the statement's).
AREA, WHOLE = "area__", "whole__"

T = TypeVar("T")
Rows = list[asyncpg.Record]


def _top_level(sql: str, word: str) -> int:
    """Where ``word`` (FROM, WHERE or GROUP BY) first stands outside parentheses in ``sql``; -1: nowhere."""
    for found in _WORD.finditer(sql):
        if found.group(1).upper() == word and sql.count("(", 0, found.start()) == sql.count(")", 0, found.start()):
            return found.start()
    return -1


@dataclass(frozen=True)
class Grouped:
    """How one statement is read for every area: ``sql`` (run with ``$1`` NULL), and ``empty``, the
    statement over no rows (for areas without any). ``kind``: ``sets`` (aggregated; the rows of the
    grouping set without the area are the region's), ``rows`` (listed; the region's are all of them) or
    ``areas`` (grouped per area named; the region's answer is read on its own)."""

    sql: str
    empty: str | None
    kind: str


def grouped(sql: str) -> Grouped | None:
    """``sql`` for every area at once, or None when it does not filter by area the way the store does."""
    select_end, where, group = _top_level(sql, "FROM"), _top_level(sql, "WHERE"), _top_level(sql, "GROUP BY")
    if select_end < 0 or where < 0 or (0 <= group < where):
        return None
    aggregated = bool(_AGGREGATE.search(sql[:select_end]))
    by = sql[group + len("GROUP BY") :].strip() if group >= 0 else ""
    body = sql[select_end : group if group >= 0 else len(sql)].rstrip()
    if (found := _IN_AREA.search(body)) is not None and found.start() > where - select_end:
        area = found.group("area")
        empty = _IN_AREA.sub("($1::text IS NULL AND FALSE)", sql) if aggregated and not by else None
        if not aggregated:
            return Grouped(f"{sql[:select_end].rstrip()}, {area} AS {AREA}\n{body}", None, "rows")
        area = f"({area} || '')"  # not equal to a grouped column (by municipality), so GROUPING tells the sets apart
        sets = f"GROUPING SETS (({by}), ({by}, {area}))" if by else f"GROUPING SETS ((), ({area}))"
        select = f"{sql[:select_end].rstrip()}, {area} AS {AREA}, GROUPING({area}) AS {WHOLE}"
        return Grouped(f"{select}\n{body}\n GROUP BY {sets}", empty, "sets")
    if (found := _IN_AREAS.search(body)) is not None and aggregated:
        where_at = where - select_end
        each = f"CROSS JOIN LATERAL (SELECT DISTINCT unnest({found.group('areas')}) AS code) a__"
        body = f"{body[:where_at]}{each}\n {body[where_at:]}"
        body = _IN_AREAS.sub("($1::text IS NULL)", body)
        empty = _IN_AREAS.sub("($1::text IS NULL AND FALSE)", sql) if not by else None
        select = f"{sql[:select_end].rstrip()}, a__.code AS {AREA}"
        return Grouped(f"{select}\n{body}\n GROUP BY {by + ', ' if by else ''}a__.code", empty, "areas")
    return None


@dataclass
class _Ask:
    method: str
    sql: str
    area: str | None
    args: tuple[Any, ...]
    answer: asyncio.Future[Any]


class AreaReader:
    """A stand-in for a connection, shared by the reports of ``None`` (the region) and ``areas`` while they
    are read side by side (:meth:`each`): each statement they all ask runs once, grouped by area."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._waiting: list[_Ask] = []
        self._reading = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Lock()  # the connection runs one statement at a time
        #: Statements run (what a run cost; the tests read it).
        self.statements = 0

    async def each(self, keys: Sequence[T], read: Callable[[T], Awaitable[Any]]) -> list[Any]:
        """``read(key)`` for every key side by side; each read asks this reader for its rows."""
        self._reading = len(keys)

        async def one(key: T) -> Any:
            try:
                return await read(key)
            finally:
                self._reading -= 1
                self._run_when_all_wait()

        return list(await asyncio.gather(*(one(k) for k in keys)))

    async def fetch(self, sql: str, area: str | None, *args: Any) -> Rows:
        rows: Rows = await self._ask("fetch", sql, area, args)
        return rows

    async def fetchrow(self, sql: str, area: str | None, *args: Any) -> asyncpg.Record | None:
        return await self._ask("fetchrow", sql, area, args)

    async def fetchval(self, sql: str, area: str | None, *args: Any) -> Any:
        return await self._ask("fetchval", sql, area, args)

    async def _ask(self, method: str, sql: str, area: str | None, args: tuple[Any, ...]) -> Any:
        ask = _Ask(method, sql, area, args, asyncio.get_running_loop().create_future())
        self._waiting.append(ask)
        self._run_when_all_wait()
        return await ask.answer

    def _run_when_all_wait(self) -> None:
        if self._waiting and len(self._waiting) >= self._reading:
            waiting, self._waiting = self._waiting, []
            task = asyncio.ensure_future(self._answer(waiting))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, waiting: list[_Ask]) -> None:
        async with self._one_at_a_time:
            await self._answer_all(waiting)

    async def _answer_all(self, waiting: list[_Ask]) -> None:
        alike: dict[tuple[str, tuple[Any, ...]], list[_Ask]] = {}
        for ask in waiting:
            alike.setdefault((ask.sql, ask.args), []).append(ask)
        for (sql, args), asks in alike.items():
            try:
                await self._answer_alike(sql, args, asks)
            except Exception as exc:  # every area waiting on it fails the same way
                for ask in asks:
                    if not ask.answer.done():
                        ask.answer.set_exception(exc)

    async def _answer_alike(self, sql: str, args: tuple[Any, ...], asks: list[_Ask]) -> None:
        how = grouped(sql) if len(asks) > 1 else None
        if how is None:
            for ask in asks:
                self.statements += 1
                ask.answer.set_result(await getattr(self.conn, ask.method)(sql, ask.area, *args))
            return
        self.statements += 1
        rows = await self.conn.fetch(how.sql, None, *args)
        by_area: dict[str | None, Rows] = {}
        for row in rows:
            by_area.setdefault(None if how.kind == "sets" and row[WHOLE] == 1 else row[AREA], []).append(row)
        if how.kind == "rows":
            by_area[None] = rows
        empty: Rows | None = None
        for ask in asks:
            if ask.area is None and how.kind == "areas":
                self.statements += 1
                ask.answer.set_result(await getattr(self.conn, ask.method)(sql, None, *args))
                continue
            found = by_area.get(ask.area)
            if found is None and how.empty is not None:
                if empty is None:
                    self.statements += 1
                    empty = await self.conn.fetch(how.empty, None, *args)
                found = empty
            found = found or []
            if ask.method == "fetch":
                ask.answer.set_result(found)
            elif ask.method == "fetchrow":
                ask.answer.set_result(found[0] if found else None)
            else:
                ask.answer.set_result(found[0][0] if found else None)
