"""Text from outside, refused at validation when it holds what no honest text holds.

Control characters (NUL among them) and lone surrogates have no place in a name, a URL or a
description; PostgreSQL cannot even store a NUL, so without this check such a value ends in an
HTTP 500 or a failing consumer instead of a 422 naming the field. Tabs and line breaks are allowed
in free text, and refused where one line is meant (:data:`SingleLine`: names end up in mail headers).

:class:`CleanText` is the base of every request model (and of the payloads partners send): it
checks every string of every field, also inside lists, dicts and nested models, and so covers
fields added later without anyone remembering to.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

#: C0 controls except tab, line feed and carriage return; DEL; C1 controls; lone UTF-16 surrogates.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK: Final = re.compile("[\t\n\r\u2028\u2029]")


def refuse_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "may not contain control characters (such as NUL)")
    return value


def refuse_line_breaks(value: str) -> str:
    refuse_control_characters(value)
    if _LINE_BREAK.search(value):
        raise PydanticCustomError("line_break", "must be one line: no tabs or line breaks")
    return value


#: A string that must be one line (names).
SingleLine = AfterValidator(refuse_line_breaks)


def _check(value: Any) -> None:
    if isinstance(value, str):
        refuse_control_characters(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _check(getattr(value, name))


class CleanText(BaseModel):
    """Base of models read from outside: no field holds control characters (422 naming the field)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check(value)
        return value


#: A CBS municipality code as typed in a request (``GM0505``); which codes a region serves is checked apart.
MunicipalityCode = Annotated[
    str, Field(min_length=6, max_length=6, pattern=r"^GM[0-9]{4}$", description="CBS code", examples=["GM0505"])
]
#: A short code of a closed list (life domain, language, specialism, reason), checked against its list apart.
ShortCode = Annotated[str, Field(min_length=1, max_length=40)]
