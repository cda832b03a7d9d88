"""Rendering messages from the Jinja2 templates in ``services/notifications/templates/`` (pure, no I/O).

Each template ``<name>`` consists of three files: ``<name>.subject.txt`` (one line),
``<name>.txt`` (the plain-text part) and ``<name>.html`` (the HTML part, autoescaped, extending
``_layout.html``). Texts are Dutch at B1 level. A missing context value is an error, never a blank.

Every message names the loket people can reach (``loket``: name, phone, e-mail). The notifier adds the
configured one (``domain.with_loket``); a context without it gets the default loket (name only).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.notifications.domain import Loket, with_loket

TEMPLATES: Final = (
    "supporter_new_case",
    "resident_assigned",
    "resident_waiting",
    "resident_consultation",
    "coordinator_consultation",
    "signal_digest",
    "resident_experience_invitation",
    "supporter_first_contact_reminder",
    "coordinator_first_contact_overdue",
    "supporter_sign_in",
    "resident_received",
    "resident_status_link",
    "supporter_question_withdrawn",
    "resident_panel_invitation",
)


#: Values every template may use and a message's context may set (the sender fills them in for
#: residents' messages: the link to their own page, the reference, how to reach the loket).
DEFAULTS: Final[dict[str, object]] = {
    "status_url": "",
    "reference": "",
    "loket": {"name": "Samenloket", "phone": "", "email": ""},
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates change with a deploy, not while running: no stat of the file on every message.
        auto_reload=False,
    )
    env.globals.update(DEFAULTS)
    return env


#: Templates with a short SMS text (``<name>.sms.txt``): those to residents.
SMS_TEMPLATES: Final = (
    "resident_received",
    "resident_status_link",
    "resident_assigned",
    "resident_waiting",
    "resident_consultation",
    "resident_experience_invitation",
    "resident_panel_invitation",
)
SMS_MAX_CHARS: Final = 160


def render_sms(template: str, context: dict[str, Any]) -> str:
    """The SMS text of ``template``: one line, at most 160 characters (cut with an ellipsis if longer)."""
    if template not in SMS_TEMPLATES:
        raise ValueError(f"template {template!r} has no SMS text; known: {', '.join(SMS_TEMPLATES)}")
    text = " ".join(environment().get_template(f"{template}.sms.txt").render(_with_a_loket(context)).split())
    return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(subject, text, html)`` of ``template`` for ``context``."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    env = environment()
    context = _with_a_loket(context)
    subject = " ".join(env.get_template(f"{template}.subject.txt").render(context).split())
    text = env.get_template(f"{template}.txt").render(context)
    html = env.get_template(f"{template}.html").render(context)
    return subject, text, html


def _with_a_loket(context: dict[str, Any]) -> dict[str, Any]:
    return context if "loket" in context else with_loket(context, Loket())
