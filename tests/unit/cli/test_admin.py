"""``jobraker admin create``: the operator makes accounts (the first admin) at the server."""

import io

import pytest
from dependency_injector import providers

from jobraker_adapters.container import build_memory_container
from jobraker_cli.main import build_parser, main
from jobraker_core.accounts.identity import Role


def _builder():
    container = build_memory_container()
    container.migrate.override(providers.Callable(list))
    return container, lambda _settings: container


def _user(container, email):
    with container.uow()() as uow:
        return uow.users.by_email(email)


def test_admin_create_defaults_to_an_admin(monkeypatch, capsys, tmp_path):
    """The password comes from stdin; the account is an admin unless told otherwise."""
    container, build = _builder()
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    argv = [
        "admin",
        "create",
        "--email",
        "ops@example.com",
        "--password-stdin",
        "--data-dir",
        str(tmp_path),
    ]
    assert main(argv, build=build) == 0
    assert _user(container, "ops@example.com").role is Role.ADMIN
    assert "Created admin ops@example.com" in capsys.readouterr().out


def test_admin_create_a_plain_user(monkeypatch, tmp_path):
    """``--role user`` makes an ordinary account."""
    container, build = _builder()
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    argv = [
        "admin",
        "create",
        "--email",
        "u@example.com",
        "--role",
        "user",
        "--password-stdin",
        "--data-dir",
        str(tmp_path),
    ]
    assert main(argv, build=build) == 0
    assert _user(container, "u@example.com").role is Role.USER


def test_a_password_breaking_the_policy_is_refused(monkeypatch, capsys, tmp_path):
    """A too-short password exits 1 with the policy's reason and creates nothing."""
    container, build = _builder()
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    argv = [
        "admin",
        "create",
        "--email",
        "ops@example.com",
        "--password-stdin",
        "--data-dir",
        str(tmp_path),
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(argv, build=build)
    assert exit_info.value.code == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert _user(container, "ops@example.com") is None


def test_role_must_be_known(capsys):
    """Only the roles the domain knows are accepted."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["admin", "create", "--email", "e@example.com", "--role", "god"])
    assert "invalid choice" in capsys.readouterr().err
