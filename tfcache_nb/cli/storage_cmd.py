"""``tfcache-nb storage info|ls|rm KEY|clear``: look into a WeChat-style storage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._units import human_bytes
from ..errors import StorageError
from ..io.management import list_models, remove_model
from ..storage.wx_storage import WxStorage


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("storage", help="inspect or clear a storage namespace",
                       description="Inspect a WeChat-style storage: one (app_id, user_id) namespace "
                                   "in a SQLite file, capped at 10 MiB (WeChat's \"10MB\").")
    p.add_argument("action", choices=["info", "ls", "rm", "clear"],
                   help="info: usage against the cap; ls: cached models; rm KEY: remove a model; clear: remove all keys")
    p.add_argument("key", nargs="?", help="the model key, for rm (only rm takes one)")
    p.add_argument("--app-id", default="default", help="mini-program id (default: %(default)s)")
    p.add_argument("--user-id", default="default", help="WeChat user id (default: %(default)s)")
    p.add_argument("--path", default=None, help="an existing SQLite file (default: the user's cache "
                                                "folder or $TFCACHE_NB_HOME, created when missing)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout (sizes in bytes) instead of text, for scripts")
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
        doc, lines = _ACTIONS[args.action](store, args)
    finally:
        store.close()
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(lines))
    return 0


def _info(store: WxStorage, args: argparse.Namespace) -> tuple[dict, list[str]]:
    info = store.info()
    models = list_models(store)
    pct = 100.0 * info.current_size / info.limit_size if info.limit_size else 0.0
    doc = {"path": str(store.path), "app_id": args.app_id, "user_id": args.user_id,
           "used_bytes": info.current_size, "limit_bytes": info.limit_size,
           "free_bytes": info.free_size, "keys": len(info.keys), "models": len(models)}
    return doc, [f"storage {store.path} [{args.app_id} / {args.user_id}]",
                 f"used {human_bytes(info.current_size)} of {human_bytes(info.limit_size)} ({pct:.1f}%), "
                 f"{_count(len(info.keys), 'key')}, {_count(len(models), 'model')}"]


def _ls(store: WxStorage, args: argparse.Namespace) -> tuple[dict, list[str]]:
    models = list_models(store)
    rows, lines = [], []
    for key, minfo in models.items():
        if minfo.damaged:
            rows.append({"key": key, "damaged": minfo.damaged})
            lines.append(f"{key}\tDAMAGED: {minfo.damaged} (the next load fetches it again)")
        else:
            rows.append({"key": key, "damaged": None, "weight_bytes": minfo.weight_data_bytes,
                         "topology_bytes": minfo.model_topology_bytes,
                         "date_saved": minfo.date_saved.isoformat()})
            lines.append(f"{key}\t{human_bytes(minfo.weight_data_bytes)} of weights\t"
                         f"saved {minfo.date_saved:%Y-%m-%d %H:%M}")
    return {"app_id": args.app_id, "user_id": args.user_id, "models": rows}, lines or ["no models cached"]


def _rm(store: WxStorage, args: argparse.Namespace) -> tuple[dict, list[str]]:
    if not args.key:
        args.parser.error("storage rm needs the KEY of the model to remove")
    remove_model(store, args.key)
    return {"removed": args.key}, [f"removed model '{args.key}'"]


def _clear(store: WxStorage, args: argparse.Namespace) -> tuple[dict, list[str]]:
    count = len(store.keys())
    store.clear()
    return {"cleared_keys": count}, [f"cleared {count} keys from [{args.app_id} / {args.user_id}]"]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


_ACTIONS = {"info": _info, "ls": _ls, "rm": _rm, "clear": _clear}
