"""`attendance-token` (what `make token` runs): a token the services accept for every role, the
missing variable named, every role listed, and nothing heavy imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from attendance_common.auth import Principal, Role, decode_token
from attendance_common.devtoken import DEVELOPMENT_JWT_SECRET, ROLES, main

SECRET = "test-secret-that-is-long-enough-for-hs256-0123"


def minted(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_every_role_of_the_services_has_a_row():
    assert set(ROLES) == {role.value for role in Role}


@pytest.mark.parametrize("role", list(ROLES))
def test_a_token_for_each_role_is_one_the_services_accept(capsys, monkeypatch, role):
    monkeypatch.delenv("ATTENDANCE_JWT_SECRET", raising=False)
    scope = ROLES[role]
    argv = ["--role", role] + ([scope.flag, scope.example] if scope else [])

    principal = decode_token(minted(capsys, *argv), secret=DEVELOPMENT_JWT_SECRET)

    assert principal.role == role and principal.sub == f"dev-{role}"


@pytest.mark.parametrize(("role", "variable"), [(r, s.make_variable) for r, s in ROLES.items() if s])
def test_a_role_without_its_scope_names_the_variable_to_set(capsys, role, variable):
    error = refusal(capsys, "--role", role)

    assert f"role {role} needs {variable}=" in error
    assert f"make token ROLE={role} {variable}=" in error


def test_a_parent_email_without_an_at_sign_is_refused(capsys):
    assert "needs EMAIL=" in refusal(capsys, "--role", "parent", "--email", "ada.example.com")


def test_an_unknown_role_lists_every_role_and_what_it_needs(capsys):
    error = refusal(capsys, "--role", "headteacher")

    assert "unknown role 'headteacher'" in error
    assert "mis (SCHOOL=)" in error and "la_officer (LA=)" in error and "parent (EMAIL=)" in error
    assert all(role in error for role in ROLES)


def test_several_schools_name_and_subject_are_carried(capsys, monkeypatch):
    monkeypatch.delenv("ATTENDANCE_JWT_SECRET", raising=False)
    argv = ["--role", "mis", "--school", "100001", "--school", "100002", "--sub", "mis-vendor"]

    token = minted(capsys, *argv, "--name", "MIS Vendor")

    assert decode_token(token, secret=DEVELOPMENT_JWT_SECRET) == Principal(
        sub="mis-vendor", role=Role.MIS, schools=frozenset({"100001", "100002"}), name="MIS Vendor"
    )


def test_the_secret_comes_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("ATTENDANCE_JWT_SECRET", SECRET)

    token = minted(capsys, "--role", "parent", "--email", "Parent@Example.com")

    assert decode_token(token, secret=SECRET).email == "parent@example.com"


def test_the_secret_flag_wins_and_la_is_carried(capsys):
    token = minted(capsys, "--role", "la_officer", "--la", "380", "--secret", SECRET)

    assert decode_token(token, secret=SECRET).la == "380"


def test_the_command_imports_no_web_or_database_framework():
    """What made `make token` take seconds: the command now loads PyJWT and the standard library."""
    probe = (
        "import sys, attendance_common.devtoken; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'sqlalchemy', "
        "'pydantic', 'structlog', 'aiokafka', 'opentelemetry'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "[]"
