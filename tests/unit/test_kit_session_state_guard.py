"""Session-scoped statements go through services.kit.session_state, which marks the connection so
its pool resets it; a raw one elsewhere would leak a lock or a setting to the next borrower."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION_SCOPED = re.compile(
    r"pg_advisory_lock\(|pg_try_advisory_lock\(|add_listener\(|set_config\([^)]*,\s*false\)|[\"']LISTEN\s"
)
#: Where raw session statements belong: the module itself, migrations on their own connection, and
#: statements that fold a session lock into a larger one and mark the connection themselves.
ALLOWED = {"services/kit/session_state.py", "services/kit/db.py"}
MARKING = {"services/notifications/store.py"}


def test_session_scoped_statements_only_in_the_session_state_module() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "services").rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED | MARKING
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_SCOPED.search(line)
    }
    assert found == set(), "use services.kit.session_state for these"


def test_a_folded_session_lock_marks_its_connection() -> None:
    for name in sorted(MARKING):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert SESSION_SCOPED.search(text) and "session_state.mark(conn)" in text, name


def test_the_guard_sees_what_it_guards() -> None:
    for raw in (
        'await conn.fetchval("SELECT pg_try_advisory_lock($1)", key)',
        'await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)',
        "await conn.add_listener(CHANNEL, callback)",
        "await conn.execute(\"SELECT set_config('lock_timeout', $1, false)\", t)",
        'await conn.execute("LISTEN samenloket_outbox")',
    ):
        assert SESSION_SCOPED.search(raw), raw
    assert not SESSION_SCOPED.search('await conn.execute("SELECT pg_advisory_xact_lock($1)", key)')
    assert not SESSION_SCOPED.search("The LISTEN connection was cut: listen again")
