"""Running the embedded PostgreSQL when we are root.

PostgreSQL refuses to run as root, so initdb, postgres and pg_ctl then run as the unprivileged
system user ``embedded_postgres`` (created if missing). That user must be able to traverse every
parent directory of the data dir, so missing ``o+x`` bits on those parents are added (traverse
only, never list); see :func:`make_traversable`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
from functools import cache
from pathlib import Path

from services.local.embedded.process import Identity

_log = logging.getLogger(__name__)

PG_SYSTEM_USER = "embedded_postgres"


def postgres_identity(install_dir: Path) -> Identity:
    """Ourselves, or the unprivileged ``embedded_postgres`` user (able to read ``install_dir``) when we are root."""
    if os.geteuid() != 0:
        return Identity()
    entry = _ensure_system_user(PG_SYSTEM_USER)
    _ensure_install_readable(install_dir)
    return Identity(uid=entry.pw_uid, gid=entry.pw_gid)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    cmd = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
    cmd += ["--shell", "/usr/sbin/nologin", name]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:  # a concurrent process may have created it in the meantime
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"cannot create system user {name!r}: {done.stderr.strip()}") from None


def make_traversable(path: Path) -> None:
    """Add ``o+x`` (traverse, not list) to ``path`` and its parents where missing.

    Needed when root keeps data somewhere like ``/root/...`` or pytest's ``/tmp/pytest-of-root``
    (mode 0700) and the server runs as another user.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            _log.info("adding o+x to %s so %s can reach its data dir", directory, PG_SYSTEM_USER)
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


@cache
def _ensure_install_readable(install_dir: Path) -> None:
    """Make the PostgreSQL install usable by another user (some wheel installs drop o+r)."""
    make_traversable(install_dir)
    for root, _dirs, files in os.walk(install_dir):
        _add_mode(Path(root), stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            path = Path(root) / name
            exec_bits = stat.S_IXOTH if path.stat().st_mode & stat.S_IXUSR else 0
            _add_mode(path, stat.S_IROTH | exec_bits)


def _add_mode(path: Path, bits: int) -> None:
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & bits != bits and not path.is_symlink():
        path.chmod(mode | bits)


def chown_tree(path: Path, identity: Identity) -> None:
    """Give ``path`` and everything under it to ``identity`` (nothing to do when that is ourselves)."""
    if identity.uid is None or identity.gid is None:
        return
    if path.stat().st_uid == identity.uid:
        return
    for root, dirs, files in os.walk(path):
        for name in (root, *(os.path.join(root, n) for n in (*dirs, *files))):
            os.lchown(name, identity.uid, identity.gid)
