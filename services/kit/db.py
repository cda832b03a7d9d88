"""PostgreSQL: connection pools per service schema and numbered SQL migrations.

Each service owns one schema (its own database and role in production). Migrations are files
``services/<service>/migrations/NNN_name.sql``; the kit's own tables (outbox, inbox) come first from
``services/kit/migrations``. Applied versions are recorded per schema, under an advisory lock so
several instances starting at once migrate once.
"""

from __future__ import annotations

import re
import zlib
from importlib import resources
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.kit import session_state

#: A connection as handlers see it: plain, or lent by a pool.
Conn = asyncpg.Connection | PoolConnectionProxy


class Database(Protocol):
    """Whatever lends a service's pool once it is started (the runtime): objects wired before the pool
    exists hold this and reach the pool when they work."""

    @property
    def db(self) -> asyncpg.Pool: ...


MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migration_files(package: str) -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of a package's ``migrations`` folder, in order."""
    folder = resources.files(package).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def create_pool(database_url: str, schema: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first, reset when they come back only
    if they hold session state (:mod:`services.kit.session_state`)."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": f"samenloket-{schema}"},
        connection_class=session_state.SessionConnection,
        reset=session_state.reset_if_needed,  # only connections holding session state
    )
    assert pool is not None
    return pool


async def migrate(database_url: str, schema: str, package: str | None = None) -> list[str]:
    """Create the schema and apply the kit's and the service's pending migrations; return their names.

    ``package`` holds the service's ``migrations`` folder (default ``services.<schema>``; ``""``
    applies only the kit's tables).
    """
    package = f"services.{schema}" if package is None else package
    sources = [("kit", "services.kit")] + ([(schema, package)] if package else [])
    conn = await asyncpg.connect(database_url)
    applied: list[str] = []
    try:
        lock_id = zlib.crc32(f"samenloket-migrate-{schema}".encode())
        await conn.execute("SELECT pg_advisory_lock($1)", lock_id)
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET search_path TO "{schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " source text NOT NULL, version int NOT NULL, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, version))"
            )
            for source, folder in sources:
                applied += await _apply(conn, source, folder)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
    finally:
        await conn.close()
    return applied


async def _apply(conn: asyncpg.Connection, source: str, package: str) -> list[str]:
    done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations WHERE source=$1", source)}
    applied = []
    for version, name, sql in migration_files(package):
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (source, version, name) VALUES ($1, $2, $3)", source, version, name
            )
        applied.append(f"{source}/{name}")
    return applied


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` when it does not exist yet."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"invalid database name {name!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def migrate_all(database_url: str) -> list[str]:
    """Migrate the kit's access schema and every service's schema."""
    from services.kit.access import PACKAGE, SCHEMA
    from services.kit.settings import SERVICE_NAMES

    applied = await migrate(database_url, SCHEMA, package=PACKAGE)
    for name in SERVICE_NAMES:
        applied += await migrate(database_url, name)
    return applied
