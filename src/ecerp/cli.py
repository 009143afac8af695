"""The ``ecerp`` command: database administration, the outbox relay, dead letters.

Installed as ``ecerp`` (and run as ``python -m ecerp``)::

    python -m ecerp db upgrade sqlite:///shop.db      # create or upgrade the schema
    python -m ecerp db downgrade sqlite:///shop.db base
    python -m ecerp db check sqlite:///shop.db        # exit 0 when usable as is
    python -m ecerp db verify sqlite:///shop.db       # ledger self-check
    python -m ecerp relay sqlite:///shop.db           # deliver committed events
    python -m ecerp dead-letters list sqlite:///shop.db
    python -m ecerp dead-letters replay sqlite:///shop.db [ID ...]   # none: all
    python -m ecerp dead-letters discard sqlite:///shop.db ID

Each command exits 0 when it did what it says, 1 when it found (or left)
something to look at (differences, letters that failed again), 2 when the
store cannot be used (the error is printed on stderr).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from ecerp.bootstrap import bootstrap, downgrade_database, open_backend, upgrade_database
from ecerp.domain.shared.errors import EcerpError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    parser = argparse.ArgumentParser(
        prog="ecerp", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="group", required=True)
    db = sub.add_parser("db", help="database schema administration")
    dbsub = db.add_subparsers(dest="action", required=True)
    up = dbsub.add_parser("upgrade", help="create or upgrade the schema")
    up.add_argument("url")
    up.add_argument("revision", nargs="?", default="head")
    down = dbsub.add_parser("downgrade", help="downgrade the schema")
    down.add_argument("url")
    down.add_argument("revision")
    chk = dbsub.add_parser("check", help="can this ecerp use the database as it is?")
    chk.add_argument("url")
    ver = dbsub.add_parser(
        "verify", help="recompute balances from the ledger and report differences"
    )
    ver.add_argument("url")
    relay = sub.add_parser("relay", help="deliver committed events from the outbox")
    relay.add_argument("url")
    relay.add_argument("--once", action="store_true", help="deliver what is pending, then exit")
    relay.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    letters = sub.add_parser("dead-letters", help="follow-up work that failed after a commit")
    lsub = letters.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "list the dead letters, oldest first"),
        ("replay", "give the letters' events to their consumers again (none named: all)"),
        ("discard", "forget letters without delivering them"),
    ):
        cmd = lsub.add_parser(action, help=text)
        cmd.add_argument("url")
        cmd.add_argument("ids", nargs="*" if action != "discard" else "+", type=int)
    args = parser.parse_args(argv)
    if args.group == "relay":
        return _relay(args.url, once=args.once, interval=args.interval)
    if args.group == "dead-letters":
        return _dead_letters(args.action, args.url, args.ids)
    try:
        if args.action == "upgrade":
            upgrade_database(args.url, args.revision)
            print(f"{args.url}: schema at {args.revision}")
        elif args.action == "downgrade":
            downgrade_database(args.url, args.revision)
            print(f"{args.url}: schema at {args.revision}")
        elif args.action == "check":
            open_backend(args.url, create=False).close()
            print(f"{args.url}: ok")
        elif args.action == "verify":
            backend = open_backend(args.url, create=False)
            try:
                problems = backend.verify()
            finally:
                backend.close()
            for problem in problems:
                print(problem)
            print(f"{args.url}: {len(problems)} difference(s)")
            return 1 if problems else 0
    except EcerpError as err:
        print(f"ecerp: {err}", file=sys.stderr)
        return 2
    return 0


def _relay(url: str, *, once: bool, interval: float) -> int:
    try:
        bus, backend = bootstrap(url, create=False)
    except EcerpError as err:
        print(f"ecerp: {err}", file=sys.stderr)
        return 2
    try:
        while True:
            try:
                delivered = bus.relay()
            except EcerpError as err:  # a locked or unreachable database: next poll
                print(f"ecerp: {err}", file=sys.stderr, flush=True)
                if once:
                    return 2
            else:
                if delivered:
                    print(f"delivered {delivered} event(s)", flush=True)
                if once:
                    return 0
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
    finally:
        backend.close()


def _dead_letters(action: str, url: str, ids: Sequence[int]) -> int:
    """List, replay or discard dead letters.

    This process configures no publishers: it replays the event handlers'
    letters; a publisher's letter is replayed by the application that has
    that publisher.
    """
    try:
        bus, backend = bootstrap(url)
    except EcerpError as err:
        print(f"ecerp: {err}", file=sys.stderr)
        return 2
    try:
        letters = bus.letters()
        if action == "list":
            for letter in letters.list():
                if not ids or letter.id in ids:
                    print(
                        f"#{letter.id} {letter.consumer}: {len(letter.events)} event(s), "
                        f"{letter.attempts} attempt(s), first {letter.first_failed_at.isoformat()}, "
                        f"last {letter.last_failed_at.isoformat()}: "
                        f"{letter.error_type}: {letter.error}"
                    )
            return 0
        failed = 0
        for letter_id in ids or [letter.id for letter in letters.list()]:
            try:
                if action == "discard":
                    letters.remove(letter_id)
                    print(f"#{letter_id} discarded")
                elif bus.replay(letter_id):
                    print(f"#{letter_id} delivered")
                else:
                    failed += 1
                    print(f"#{letter_id} failed again: {letters.get(letter_id).error}")
            except EcerpError as err:
                failed += 1
                print(f"ecerp: #{letter_id}: {err}", file=sys.stderr)
        return 1 if failed else 0
    except EcerpError as err:
        print(f"ecerp: {err}", file=sys.stderr)
        return 2
    finally:
        backend.close()
