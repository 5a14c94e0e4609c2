"""API keys: stored hashed, configured from the environment, created by the CLI; and no
personal data in the access log."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from api.auth import KeyRing, Role, hash_key, new_key
from mentorgraph.cli import app as cli
from mentorgraph.settings import ApiKeySetting, Settings
from tests.api.conftest import Keys


def test_keyring_finds_keys_by_hash_only() -> None:
    hr, employee = new_key(), new_key()
    ring = KeyRing([
        ApiKeySetting(sha256=hash_key(hr), role="hr"),
        ApiKeySetting(sha256=hash_key(employee).upper(), role="employee", employee_id="e1"),
    ])  # fmt: skip
    found = ring.authenticate(hr)
    assert found is not None
    assert found.role is Role.HR
    assert ring.authenticate(employee) == ring.authenticate(employee)
    assert ring.authenticate(employee).employee_id == "e1"  # type: ignore[union-attr]
    assert ring.authenticate(hash_key(hr)) is None  # the stored hash is not a key
    assert ring.authenticate(hr + " ") is None
    assert ring.authenticate("") is None
    assert new_key() != new_key()
    assert len(new_key()) > 40


def test_key_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="64-character hex"):
        ApiKeySetting(sha256="not-a-hash", role="hr")
    with pytest.raises(ValidationError, match="employee_id"):
        ApiKeySetting(sha256="a" * 64, role="employee")
    with pytest.raises(ValidationError):
        ApiKeySetting.model_validate({"sha256": "a" * 64, "role": "root"})


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key()
    entries = [{"sha256": hash_key(key), "role": "employee", "employee_id": "e7"}]
    monkeypatch.setenv("MENTORGRAPH_API__KEYS", json.dumps(entries))
    monkeypatch.setenv("MENTORGRAPH_API__MAX_BODY_BYTES", "4096")
    settings = Settings()
    assert settings.api.max_body_bytes == 4096
    principal = KeyRing(settings.api.keys).authenticate(key)
    assert principal is not None
    assert (principal.role, principal.employee_id) == (Role.EMPLOYEE, "e7")


def test_api_key_create_prints_the_key_once_and_its_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENTORGRAPH_API__KEYS", raising=False)
    from mentorgraph.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["api-key", "create", "--role", "employee", "--employee-id", "e42"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    key = lines[1].strip()
    assert key.startswith("mg_")
    export = next(line for line in lines if "MENTORGRAPH_API__KEYS=" in line)
    entries = json.loads(export.split("=", 1)[1].strip("'"))
    assert entries == [{"sha256": hash_key(key), "role": "employee", "employee_id": "e42"}]
    assert result.output.count(key) == 1


def test_api_key_create_refuses_bad_roles() -> None:
    result = CliRunner().invoke(cli, ["api-key", "create", "--role", "root"])
    assert result.exit_code == 1
    assert "use employee, hr or admin" in result.output
    unbound = CliRunner().invoke(cli, ["api-key", "create", "--role", "employee"])
    assert unbound.exit_code == 1
    assert "--employee-id" in unbound.output


def test_access_log_has_route_templates_but_no_ids_names_or_queries(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mentorgraph.api.access"):
        client.get("/api/v1/employees/junior-1", headers=keys.auth("employee"))
        client.get("/api/v1/teachers", params={"q": "Margaret Okafor"}, headers=keys.auth("employee"))
        client.post("/api/v1/employees", json={"id": "x1", "name": "Secret Person"}, headers=keys.auth("hr"))
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /api/v1/employees/{employee_id} 200" in text
    assert "GET /api/v1/teachers" in text
    for personal in ("junior-1", "Margaret", "Okafor", "Secret", "x1", keys.employee):
        assert personal not in text
