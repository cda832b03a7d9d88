"""The supporters' own pages, "Mijn vragen" (Dutch, B1, phone first, plain HTML forms without JavaScript).

- :mod:`.signin_pages` — sign in with a single-use e-mail link, sign out; :mod:`.signin` its rules;
- :mod:`.sessions` — who is signed in (a server-side session of the web kit, subject kind ``supporter``),
  whatever way they signed in: the pages never ask how;
- :mod:`.cases` — the list of one's cases and one case with its steps (accept, decline, first contact,
  end), through the same use cases as the coordinators' API; :mod:`.forms` checks the step forms;
- :mod:`.views` — what a case shows, in names and labels; :mod:`.clients` — the resident's data from
  intake (audited there) and the sign-in mail through notifications;
- :mod:`.pages` — what every page shares (sessions, CSRF, rate limits, rendering).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.kit.runtime import Runtime
from services.matching.container import Container
from services.matching.settings import MatchingSettings
from services.matching.workspace import cases, signin_pages
from services.matching.workspace.pages import Workspace


def router(rt: Runtime[MatchingSettings], matching: Container) -> APIRouter:
    """Every supporters' page of this process (sign-in first: its paths are more specific than a case's)."""
    ws = Workspace(rt, matching)
    pages = APIRouter(include_in_schema=False)
    pages.include_router(signin_pages.router(ws))
    pages.include_router(cases.router(ws))
    return pages
