"""Fixtures shared by integration modules: a real SMTP server and real internal contact endpoints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.support import fuzzing
from tests.support.notifications import ContactServer, serving


@pytest.fixture(scope="module")
def contacts() -> Iterator[ContactServer]:
    with serving(ContactServer()) as server:
        yield server


@pytest.fixture(autouse=True)
def fuzz_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """The schemathesis cases a test sent, per service, on its report (so they add up across xdist workers)."""
    before = Counter(fuzzing.CASES)
    yield
    sent = Counter(fuzzing.CASES)
    sent.subtract(before)
    if any(sent.values()):
        request.node.user_properties.append(("fuzz_cases", dict(+sent)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's figures (one JSON line per scenario), also under ``pytest -q`` without ``-s``."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "fault_figures"
    ]
    cases: Counter[str] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "teardown":
                for name, value in getattr(report, "user_properties", ()):
                    if name == "fuzz_cases":
                        cases.update(value)
    if cases:
        terminalreporter.write_sep("-", "schemathesis cases sent")
        for service, count in sorted(cases.items()):
            terminalreporter.write_line(f"{service}: {count}")
    if lines:
        terminalreporter.write_sep("-", "fault suite figures")
        for line in lines:
            terminalreporter.write_line(str(line))
