"""Fixtures for the Python binding tests: a fresh store per test, users, the test template."""

import os
import pathlib

import pytest

from offgrid import offgrid_ffi as core
from offgrid import offgrid_ffi as ffi
from offgrid.offgrid_ffi import ProjectRole, Role, User

# Importing checks the contract version; the generated Python leaves the per-function API
# checksum check commented out, so run it here (Kotlin's uniffiEnsureInitialized does both).
for module in (core, ffi):
    module._uniffi_check_api_checksums(module._UniffiLib)

FIXTURES = pathlib.Path(os.environ.get("OFFGRID_FIXTURES", "tests/bindings/fixtures"))

ADMIN = User(id="u-admin", name="管理员", roles=[ProjectRole(project="*", role=Role.ADMIN)])
INSPECTOR = User(id="u-zhang", name="张工", roles=[ProjectRole(project="p1", role=Role.INSPECTOR)])
RECTIFIER = User(id="u-li", name="李师傅", roles=[ProjectRole(project="p1", role=Role.RECTIFIER)])
SUPERVISOR = User(id="u-wang", name="王总监", roles=[ProjectRole(project="p1", role=Role.SUPERVISOR)])


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "offgrid.db")


@pytest.fixture
def store(db_path):
    s = ffi.OffgridStore(db_path, 480)
    yield s
    s.close_database()


@pytest.fixture
def template():
    return ffi.parse_template((FIXTURES / "fire-patrol.json").read_text(encoding="utf-8"))
