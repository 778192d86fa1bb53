"""``tfcache-nb storage info|ls|rm KEY|clear``: look into a WeChat-style storage."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._html import human_bytes
from ..errors import StorageError
from ..io.management import list_models, remove_model
from ..storage.wx_storage import WxStorage


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("storage", help="inspect or clear a storage namespace",
                       description="Inspect a WeChat-style storage: one (app_id, user_id) namespace "
                                   "in a SQLite file, capped at 10 MB.")
    p.add_argument("action", choices=["info", "ls", "rm", "clear"],
                   help="info: usage against the cap; ls: cached models; rm KEY: remove a model; clear: remove all keys")
    p.add_argument("key", nargs="?", help="the model key, for rm (only rm takes one)")
    p.add_argument("--app-id", default="default", help="mini-program id (default: %(default)s)")
    p.add_argument("--user-id", default="default", help="WeChat user id (default: %(default)s)")
    p.add_argument("--path", default=None, help="an existing SQLite file (default: the user's cache "
                                                "folder or $TFCACHE_NB_HOME, created when missing)")
    p.set_defaults(run=run, parser=p)


def run(args: argparse.Namespace) -> int:
    if args.key is not None and args.action != "rm":
        # "storage clear a" must not clear everything while ignoring "a"
        args.parser.error(f"storage {args.action} takes no KEY (got {args.key!r}); "
                          f"only 'storage rm KEY' does")
    if args.path is not None and not Path(args.path).expanduser().is_file():
        # looking into a storage must not create one (only the default file may be created)
        raise StorageError(f"there is no storage file at {args.path}.")
    store = WxStorage(args.path, app_id=args.app_id, user_id=args.user_id)
    try:
        if args.action == "info":
            info = store.info()
            pct = 100.0 * info.current_size / info.limit_size if info.limit_size else 0.0
            print(f"storage {store.path} [{args.app_id} / {args.user_id}]")
            print(f"used {human_bytes(info.current_size)} of {human_bytes(info.limit_size)} ({pct:.1f}%), "
                  f"{len(info.keys)} keys, {len(list_models(store))} models")
        elif args.action == "ls":
            models = list_models(store)
            if not models:
                print("no models cached")
            for key, minfo in models.items():
                if minfo.damaged:
                    print(f"{key}\tDAMAGED: {minfo.damaged} (the next load fetches it again)")
                else:
                    print(f"{key}\t{human_bytes(minfo.weight_data_bytes)} of weights\t"
                          f"saved {minfo.date_saved:%Y-%m-%d %H:%M}")
        elif args.action == "rm":
            if not args.key:
                args.parser.error("storage rm needs the KEY of the model to remove")
            remove_model(store, args.key)
            print(f"removed model '{args.key}'")
        elif args.action == "clear":
            count = len(store.keys())
            store.clear()
            print(f"cleared {count} keys from [{args.app_id} / {args.user_id}]")
    finally:
        store.close()
    return 0
