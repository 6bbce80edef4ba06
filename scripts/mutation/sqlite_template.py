"""pytest plugin for mutation runs: each test session starts from a migrated SQLite copy.

Mutation testing runs pytest once per mutant; creating the test database by running
every migration would cost more than the tests themselves. `scripts/mutation/run.py`
migrates one template database (OPORA_MUTATION_TEMPLATE_DB) before the run; every
session here copies it to a file of its own and keeps it (pytest's --reuse-db), so
Django's migrate finds nothing left to do. Load with `-p sqlite_template --reuse-db`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_OWN: list[Path] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    template = Path(os.environ["OPORA_MUTATION_TEMPLATE_DB"])
    handle, name = tempfile.mkstemp(prefix="opora-mutation-", suffix=".sqlite3")
    os.close(handle)
    own = Path(name)
    shutil.copyfile(template, own)
    _OWN.append(own)
    # The connection's settings are this same dict: the test database is created from it.
    database = settings.DATABASES["default"]
    assert database["ENGINE"].endswith("sqlite3"), "mutation runs use SQLite"
    database.setdefault("TEST", {})["NAME"] = str(own)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from django.db import connections

    connections.close_all()
    while _OWN:
        own = _OWN.pop()
        for path in (own, Path(f"{own}-wal"), Path(f"{own}-shm")):
            path.unlink(missing_ok=True)
