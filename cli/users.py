"""User accounts from the command line; the first administrator is created here (there is no
default password). Passwords are read from a prompt, or from stdin with --password-stdin, never
from the command line.

    python -m cli.users add admin --role admin
    python -m cli.users add quxian --role region --region 330102000000
    python -m cli.users add li --role region --region 330102000000 --oidc li@example.gov.cn --no-password
    python -m cli.users disable quxian | enable quxian | reset quxian | list
    python -m cli.users set-role quxian --role data_admin --region 330102000000
    python -m cli.users link quxian --oidc quxian@example.gov.cn
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time

from access import audit, db, users
from access.passwords import WeakPasswordError
from access.roles import ROLES, RoleError
from access.scope import ScopeError


def _password(args: argparse.Namespace) -> str:
    """A new password from stdin (first line) or typed twice at a hidden prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat it: "):
        raise users.UserError("the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli.users", description="Manage portal user accounts.")
    parser.add_argument("--db", help="users database (default: the users_db setting)")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--region", default="", help="region code the user is limited to (empty: everywhere)")
    add.add_argument("--display", default="", help="name shown in the portal")
    add.add_argument("--oidc", help="identity from single sign-on (the oidc_claim value, e.g. e-mail)")
    add.add_argument("--no-password", action="store_true", help="single sign-on only")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for name in ("disable", "enable"):
        sub.add_parser(name, help=f"{name} a user").add_argument("name")
    reset = sub.add_parser("reset", help="set a new password (also lifts a lockout)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    role = sub.add_parser("set-role", help="change role and region")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--region", default="")
    link = sub.add_parser("link", help="link a user to a single sign-on identity (empty: unlink)")
    link.add_argument("name")
    link.add_argument("--oidc", default="")
    sub.add_parser("list", help="list users")
    return parser


def run(args: argparse.Namespace, conn) -> str:
    """Carry out one command; returns the line to print (raises on refusal)."""
    actor = f"cli:{getpass.getuser()}"
    if args.command == "list":
        lines = [f"{'name':16} {'role':10} {'region':12} {'active':6} {'locked':6} oidc"]
        for u in users.all_users(conn):
            lines.append(f"{u.name:16} {u.role:10} {u.region or '*':12} {'yes' if u.active else 'no':6} "
                         f"{'yes' if u.locked(time.time()) else 'no':6} {u.oidc or ''}")
        return "\n".join(lines)
    if args.command == "add":
        password = None if args.no_password else _password(args)
        user = users.add(conn, args.name, role=args.role, region=args.region, password=password,
                         oidc=args.oidc, display=args.display)
        audit.record(conn, "user_add", user=actor, detail={"target": user.name, "role": user.role, "region": user.region})
        return f"added {user.name} ({user.role}, region {user.region or '*'})"
    if args.command in ("disable", "enable"):
        users.set_active(conn, args.name, args.command == "enable")
        audit.record(conn, f"user_{args.command}", user=actor, detail={"target": args.name})
        return f"{args.command}d {args.name}"
    if args.command == "reset":
        users.require(conn, args.name)
        users.reset_password(conn, args.name, _password(args))
        audit.record(conn, "user_reset", user=actor, detail={"target": args.name})
        return f"new password set for {args.name}"
    if args.command == "set-role":
        user = users.set_role(conn, args.name, args.role, args.region)
        audit.record(conn, "user_role", user=actor, detail={"target": user.name, "role": user.role, "region": user.region})
        return f"{user.name} is now {user.role} (region {user.region or '*'})"
    if args.command == "link":
        user = users.set_oidc(conn, args.name, args.oidc or None)
        audit.record(conn, "user_oidc", user=actor, detail={"target": user.name, "oidc": user.oidc or ""})
        return f"{user.name} linked to {user.oidc or '(nothing)'}"
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit status 0 on success, 2 on a refused command."""
    args = _parser().parse_args(argv)
    conn = db.connect(args.db) if args.db else db.connect()
    try:
        print(run(args, conn))
    except (users.UserError, RoleError, ScopeError, WeakPasswordError) as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
