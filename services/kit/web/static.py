"""The pages' stylesheets, served by every service at ``/static/<name>``: the vendored NL Design System
CSS (``static/vendor/``, see :mod:`.vendor`), the kit's one stylesheet and a service's own page
stylesheet (``services/<service>/static/``), with a content hash in their URLs so browsers may keep
them and still see a change at once. The region's theme and logo are served by :mod:`.theme`.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final

from fastapi import APIRouter, HTTPException, Response

KIT: Final = "services.kit.web"
PREFIX: Final = "/static/"
MEDIA_TYPES: Final = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """The files under ``folder`` as (``sub/name``, file), one level of subfolders deep (``vendor/``)."""
    found: list[tuple[str, Traversable]] = []
    for entry in folder.iterdir():
        if entry.is_file():
            found.append((prefix + entry.name, entry))
        elif entry.is_dir() and not prefix and not entry.name.startswith(("_", ".")):
            found.extend(_files(entry, entry.name + "/"))
    return found


class Assets:
    """The static files of the kit and of ``package`` (when it has a ``static`` folder)."""

    def __init__(self, package: str | None) -> None:
        self.files: dict[str, bytes] = {}
        for source in dict.fromkeys((KIT, package)):
            if source is None:
                continue
            folder = resources.files(source).joinpath("static")
            if not folder.is_dir():
                continue
            for name, entry in _files(folder):
                if name[name.rfind(".") :] in MEDIA_TYPES:
                    if name in self.files:
                        raise ValueError(f"{source}/static/{name} would hide the kit's file of that name")
                    self.files[name] = entry.read_bytes()
        self.versions = {name: hashlib.sha256(data).hexdigest()[:12] for name, data in self.files.items()}

    def url(self, name: str) -> str:
        """Where a page links ``name``; an unknown name is an error while rendering, not a broken link."""
        return f"{PREFIX}{name}?v={self.versions[name]}"

    def response(self, name: str) -> Response:
        data = self.files.get(name)
        if data is None:
            raise HTTPException(404, "no such file")
        return Response(
            data,
            media_type=MEDIA_TYPES[name[name.rfind(".") :]],
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )


@cache
def assets(package: str | None) -> Assets:
    return Assets(package)


def router(package: str | None) -> APIRouter:
    """``GET /static/<name>``: the files of :func:`assets` for ``package``. Not part of the API description."""
    r = APIRouter(include_in_schema=False)
    files = assets(package)

    @r.get(PREFIX + "{name:path}")
    async def static_file(name: str) -> Response:
        return files.response(name)

    return r
