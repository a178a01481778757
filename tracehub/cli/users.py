"""`tracehub users`: console accounts (viewer, steward, admin); passwords are never echoed or logged."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, open_store, print_json
from tracehub.cli.quarantine import ActorOption, actor_name

users_app = typer.Typer(help="Web console users and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help="viewer, steward or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Create a user; the password is asked twice (hidden) unless given on stdin."""
    from steward import add_user

    password = _read_password("password", password_stdin)
    with open_store() as store:
        add_user(store, username, password, role, actor=actor_name(actor))
    console.print(f"user {username.strip().lower()} added with role {role}")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """Every user with role and whether it is disabled."""
    from steward import list_users

    with open_store() as store:
        rows = list_users(store)
    if as_json:
        print_json(rows)
        return
    console.print(
        report.table(
            f"users ({len(rows)})",
            ["username", "role", "disabled", "created"],
            ([u["username"], u["role"], "yes" if u["disabled"] else "", u["created_at"]] for u in rows),
        )
    )


@users_app.command("disable")
def users_disable(username: str, actor: ActorOption = None) -> None:
    """Stop a user from logging in (audited)."""
    _set_disabled(username, True, actor)


@users_app.command("enable")
def users_enable(username: str, actor: ActorOption = None) -> None:
    """Let a disabled user log in again (audited)."""
    _set_disabled(username, False, actor)


def _set_disabled(username: str, disabled: bool, actor: str | None) -> None:
    from steward import set_user_disabled

    with open_store() as store:
        set_user_disabled(store, username, disabled, actor=actor_name(actor))
    console.print(f"user {username} {'disabled' if disabled else 'enabled'}")


@users_app.command("role")
def users_role(username: str, role: str, actor: ActorOption = None) -> None:
    """Give a user another role (audited); their console sessions end."""
    from steward import set_user_role

    with open_store() as store:
        set_user_role(store, username, role, actor=actor_name(actor))
    console.print(f"user {username} is now {role}")


@users_app.command("password")
def users_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Set a new password (asked twice, hidden, unless on stdin); the user's console sessions end."""
    from steward import set_password

    password = _read_password("new password", password_stdin)
    with open_store() as store:
        set_password(store, username, password, actor=actor_name(actor))
    console.print(f"password of {username} changed")


@users_app.command("unlock")
def users_unlock(username: str, actor: ActorOption = None) -> None:
    """Lift a console sign-in lockout after failed passwords (audited)."""
    from steward.sessions import unlock

    with open_store() as store:
        done = unlock(store, username, actor=actor_name(actor))
    console.print(f"sign-in failures of {username} cleared" if done else f"{username} had no failed sign-ins")


def _read_password(prompt: str, from_stdin: bool) -> str:
    """The first line of stdin, or asked twice with the input hidden: never an argument (shell history)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
