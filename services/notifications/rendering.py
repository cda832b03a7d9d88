"""Rendering messages from the Jinja2 templates in ``services/notifications/templates/`` (pure, no I/O).

Each template ``<name>`` consists of three files: ``<name>.subject.txt`` (one line),
``<name>.txt`` (the plain-text part) and ``<name>.html`` (the HTML part, autoescaped, extending
``_layout.html``). Texts are Dutch at B1 level. A missing context value is an error, never a blank.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TEMPLATES: Final = ("supporter_new_case", "resident_assigned")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(subject, text, html)`` of ``template`` for ``context``."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    env = environment()
    subject = " ".join(env.get_template(f"{template}.subject.txt").render(context).split())
    text = env.get_template(f"{template}.txt").render(context)
    html = env.get_template(f"{template}.html").render(context)
    return subject, text, html
