"""``batteryos users``: users and their API keys."""

from __future__ import annotations

import argparse
import sys

from app.core.operator import DEFAULT_USER_ROLE, USER_ROLES

ROLES = USER_ROLES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "users",
        help="users and API keys",
        description="Manage the users of the database (--db, before the sub-command) and "
        "their API keys.",
    )
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = usub.add_parser("add", help="add a user", description="Add a user.")
    add.add_argument("name")
    add.add_argument(
        "--role", choices=ROLES, default=DEFAULT_USER_ROLE, help=f"default: {DEFAULT_USER_ROLE}"
    )
    add.add_argument(
        "--password",
        action="store_true",
        help="ask for a password (read from stdin when it is not a terminal)",
    )
    add.set_defaults(run=run_add)

    ls = usub.add_parser("list", help="list users and their API keys")
    ls.set_defaults(run=run_list)

    new_key = usub.add_parser(
        "new-key",
        help="make an API key for a user and print it (once)",
        description="Make an API key for NAME. The key is printed once and never stored: "
        "only its salted hash and its prefix are kept.",
    )
    new_key.add_argument("name")
    new_key.set_defaults(run=run_new_key)

    revoke = usub.add_parser(
        "revoke-key", help="revoke an API key by its prefix", description="Revoke an API key."
    )
    revoke.add_argument("prefix", help="the key's prefix as `users list` shows it")
    revoke.set_defaults(run=run_revoke_key)


def _db(args: argparse.Namespace):
    from app.storage.database import Database, default_url

    db = Database(args.db or default_url())
    db.ensure_schema()
    return db


def _read_password(name: str) -> str:
    from app.core.operator import confirmed_password

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"password for {name}: ")
        return confirmed_password(password, getpass.getpass("again: "))
    password = sys.stdin.readline().rstrip("\r\n")
    return confirmed_password(password, password)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def run_add(args: argparse.Namespace) -> int:
    from app.storage.repositories import create_user

    password = _read_password(args.name) if args.password else None
    db = _db(args)
    try:
        user = create_user(db, args.name, args.role, password)
    finally:
        db.close()
    locked = " (with password)" if password else ""
    print(f"user {user.name} added as {user.role}{locked}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from app.storage.api_keys import list_api_keys
    from app.storage.repositories import list_users

    db = _db(args)
    try:
        users = list_users(db)
        keys = list_api_keys(db)
    finally:
        db.close()
    if not users:
        print("no users (add one with: batteryos users add NAME --role engineer)")
        return 0
    print(f"{'name':<20} {'role':<9} {'password':<8} created")
    for user in users:
        password = "yes" if user.password_hash else "no"
        print(f"{user.name:<20} {user.role:<9} {password:<8} {_when(user.created_at)}")
        for key, _name in (k for k in keys if k[1] == user.name):
            state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
            print(
                f"    key {key.prefix}  created {_when(key.created_at)}  "
                f"last used {_when(key.last_used_at)}  {state}"
            )
    return 0


def run_new_key(args: argparse.Namespace) -> int:
    from app.storage.api_keys import create_api_key

    db = _db(args)
    try:
        key, row = create_api_key(db, args.name)
    finally:
        db.close()
    print(key)
    print(
        f"API key {row.prefix} for {args.name}: shown once, store it now "
        f"(revoke with: batteryos users revoke-key {row.prefix})",
        file=sys.stderr,
    )
    return 0


def run_revoke_key(args: argparse.Namespace) -> int:
    from app.storage.api_keys import revoke_api_key

    db = _db(args)
    try:
        row = revoke_api_key(db, args.prefix)
    finally:
        db.close()
    print(f"API key {row.prefix} revoked at {_when(row.revoked_at)}")
    return 0
