"""Class pulse from the command line (no Streamlit imported).

    python -m tools.pulse new                  # {"room": "K7QM-4X2P", "key": "..."}
    python -m tools.pulse show K7QM-4X2P       # {"question id": {"answer": count, ...}, ...}
    python -m tools.pulse close K7QM-4X2P --key KEY

Run from the project root: it uses the database the app uses (``RNNLAB_PULSE_URL``, else
``[connections.pulse]`` in ``.streamlit/secrets.toml``, else ``.pulse/pulse.sqlite``). Every
call first deletes expired rooms. Output is one line of JSON on stdout; messages go to stderr.

``new`` prints the key once: give learners ``/?room=CODE``; open ``/?room=CODE&key=KEY``
yourself, never on the projector. ``show`` reads the tallies without the key (whoever can run
this can read the database anyway; pass ``--key`` to have it checked); ``close`` needs the key.

Exit status: 0 done, 1 database unavailable, 2 bad or unknown room code, 3 wrong key.
"""

from __future__ import annotations

import argparse
import json
import sys

from ui import pulse_store as ps


def _fail(msg: str, status: int) -> int:
    print(msg, file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pulse",
                                     description="Class pulse rooms: create, show, close.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("new", help="open a room for 24 h; prints its code and key as JSON")
    show = sub.add_parser("show", help="print a room's tallies as JSON")
    show.add_argument("code")
    show.add_argument("--key", help="check this key too (optional)")
    close = sub.add_parser("close", help="close a room and delete its answers")
    close.add_argument("code")
    close.add_argument("--key", required=True)
    args = parser.parse_args(argv)

    try:
        engine = ps.make_engine()
    except (*ps.OFFLINE_ERRORS, ImportError) as exc:
        return _fail(f"Class pulse database unavailable: {type(exc).__name__}: {exc}", 1)
    except (KeyError, ValueError, TypeError) as exc:  # a [connections.pulse] without a url
        return _fail(f"Class pulse database not configured correctly: {type(exc).__name__}: "
                     f"{exc}", 1)
    try:
        store = ps.store_for(engine)
        store.purge_expired()
        if args.cmd == "new":
            code, key = store.create_room()
            print(json.dumps({"room": code, "key": key}))
            print(f"Learners open /?room={code} ; you open /?room={code}&key=<key> "
                  "(never on the projector).", file=sys.stderr)
            return 0
        code = ps.parse_code(args.code)
        if args.cmd == "show":
            if args.key is not None and not store.check_key(code, args.key):
                store.room(code)  # unknown/expired first, for the right message
                return _fail("That key does not open this class room.", 3)
            print(json.dumps(store.tally(code), ensure_ascii=False))
            return 0
        store.close_room(code, args.key)
        print(json.dumps({"closed": ps.format_code(code)}))
        return 0
    except ps.WrongKey as exc:
        return _fail(str(exc), 3)
    except ps.PulseError as exc:  # bad code, unknown or expired room, rooms full
        return _fail(str(exc), 2)
    except (*ps.OFFLINE_ERRORS, ImportError) as exc:
        return _fail(f"Class pulse database unavailable: {type(exc).__name__}: {exc}", 1)


if __name__ == "__main__":
    sys.exit(main())
