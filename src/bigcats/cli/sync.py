"""`bigcats exchange ...`: keys, trusted peers, signed change packages, push and pull between national servers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = BigcatsTyper(help="Exchange changes with partner nodes: signed, filtered by sharing agreements, in order.",
                  no_args_is_help=True)

KeysOption = Annotated[Path | None, typer.Option("--keys", help="Folder of this node's keys (default: beside "
                                                                 "the SQLite database, or $BIGCATS_NODE_KEYS).")]


def _engine(db: str | None):
    from bigcats.store.db import open_store

    return open_store(db)


def _keys(keys: Path | None, engine) -> Path:
    from bigcats.exchange.sync.keys import default_key_dir

    return keys or default_key_dir(engine)


@app.command()
def keygen(node: Annotated[str, typer.Argument(help="This node's name, e.g. the partner code LLNP.")],
           keys: KeysOption = None,
           overwrite: Annotated[bool, typer.Option(help="Replace an existing key (peers must trust it again).")] = False,
           db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create this node's Ed25519 key pair; give the printed public key file to partners."""
    from bigcats.exchange.sync import SyncError, generate_keys

    engine = _engine(db)
    try:
        pub = generate_keys(_keys(keys, engine), node, overwrite=overwrite)
    except SyncError as exc:
        fail(str(exc))
    emit({"node": node, "public_key": str(pub)}, as_json, human=f"Node {node}: public key in {pub}")


@app.command()
def trust(peer: Annotated[str, typer.Argument(help="The peer node's name.")],
          keyfile: Annotated[Path, typer.Argument(help="The peer's public key file (node.pub).")],
          partner: Annotated[str | None, typer.Option(help="Partner code whose sharing agreements apply "
                                                           "(default: the node name).")] = None,
          url: Annotated[str | None, typer.Option(help="The peer server's address.")] = None,
          db: DbOption = None, as_json: JsonOption = False) -> None:
    """Register a peer node's public key: its packages and requests are accepted from now on."""
    from bigcats.exchange.sync import SyncError, trust_peer

    if not keyfile.is_file():
        fail(f"{keyfile}: no such key file")
    try:
        row = trust_peer(_engine(db), peer, keyfile, partner=partner, url=url)
    except SyncError as exc:
        fail(str(exc))
    emit(row, as_json, human=f"Trusting {peer} (partner {row['partner']})")


@app.command("export")
def export_cmd(peer: Annotated[str, typer.Argument(help="The peer node to export for.")],
               out: Annotated[Path, typer.Argument(help="Empty folder to write the signed package to.")],
               since: Annotated[int | None, typer.Option(help="Change sequence to start after (default: what "
                                                               "the peer last acknowledged).")] = None,
               keys: KeysOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Write a signed package of what changed for a peer, as its sharing agreements allow."""
    import json

    from bigcats.exchange.sync import SyncError, export_changes

    engine = _engine(db)
    try:
        folder = export_changes(engine, peer, since=since, out=out, key_dir=_keys(keys, engine))
    except SyncError as exc:
        fail(str(exc))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    result = {"package": str(folder), "from_seq": manifest["from_seq"], "to_seq": manifest["to_seq"],
              "projects": manifest["projects"]}
    emit(result, as_json, human=f"Changes {manifest['from_seq'] + 1}..{manifest['to_seq']} for {peer} in {folder}")


@app.command("receive")
def receive_cmd(package: Annotated[Path, typer.Argument(help="A signed package folder or its .zip.")],
                peer: Annotated[str | None, typer.Option(help="Refuse the package unless this peer sent it.")] = None,
                keys: KeysOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Verify and apply a peer's package; conflicts are listed, never overwritten."""
    from bigcats.exchange.sync import SyncError, load_identity, receive

    engine = _engine(db)
    key_dir = _keys(keys, engine)
    node = load_identity(key_dir).node if (key_dir / "node.key").exists() else None
    try:
        result = receive(engine, package, peer=peer, node=node)
    except SyncError as exc:
        fail(str(exc), 1)
    emit(result, as_json)


def _with_peer(client_call, url: str, peer: str, keys, db, as_json: bool) -> None:
    """Run a push or a pull against a peer server and print its result (or the reason it was refused)."""
    from bigcats.exchange.sync import SyncError

    engine = _engine(db)
    try:
        result = client_call(url, engine, peer, key_dir=_keys(keys, engine))
    except SyncError as exc:
        fail(str(exc), 1)
    emit(result, as_json)


@app.command()
def push(peer: Annotated[str, typer.Argument(help="The peer node.")],
         url: Annotated[str, typer.Argument(help="The peer server's address, e.g. https://data.park.cn")],
         keys: KeysOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Send a peer server what it has not applied yet (resumes after an interruption)."""
    from bigcats.exchange.sync.client import push as push_to

    _with_peer(push_to, url, peer, keys, db, as_json)


@app.command()
def pull(peer: Annotated[str, typer.Argument(help="The peer node.")],
         url: Annotated[str, typer.Argument(help="The peer server's address.")],
         keys: KeysOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Fetch and apply what a peer server changed since the last exchange."""
    from bigcats.exchange.sync.client import pull as pull_from

    _with_peer(pull_from, url, peer, keys, db, as_json)


@app.command()
def conflicts(peer: Annotated[str | None, typer.Option(help="Only conflicts with this peer.")] = None,
              db: DbOption = None, as_json: JsonOption = False) -> None:
    """List open conflicts: rows a peer sent that differ from this node's copy."""
    from rich.table import Table

    from bigcats.exchange.sync.state import conflicts as open_conflicts

    rows = open_conflicts(_engine(db), peer)
    table = Table(title=f"{len(rows)} open conflict(s); settle each with `bigcats exchange resolve ID`")
    for col in ("id", "peer", "kind", "resource", "row", "fields", "here", "theirs"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["peer"], r["kind"], r["resource"], r["row_key"], ", ".join(r["fields"]),
                      str(r["local"]), str(r["incoming"]))
    emit(rows, as_json, human=table)


@app.command()
def resolve(conflict: Annotated[int, typer.Argument(help="The conflict's id (see `bigcats exchange conflicts`).")],
            take: Annotated[str, typer.Option(help="keep-local (this node's row stays) or take-incoming (the "
                                                   "owner's values replace it).")],
            who: Annotated[str, typer.Option(help="Who settles it (recorded).")],
            why: Annotated[str, typer.Option(help="Why (recorded).")],
            db: DbOption = None, as_json: JsonOption = False) -> None:
    """Settle one listed conflict, recorded with who and why."""
    from bigcats.exchange.sync.resolve import resolve as settle

    done = settle(_engine(db), conflict, take, who, why)
    emit(done, as_json, human=f"conflict {done['id']} ({done['resource']} {done['row_key']}): {take}, "
                              f"by {done['resolved_by']}")


@app.command()
def status(peer: Annotated[str | None, typer.Option(help="Only exchanges with this peer.")] = None,
           db: DbOption = None, as_json: JsonOption = False) -> None:
    """This node's change sequence and the record of exchanges with peers."""
    from rich.table import Table

    from bigcats.exchange.sync.changes import last_seq
    from bigcats.exchange.sync.state import exchanges

    engine = _engine(db)
    log = exchanges(engine, peer)
    result = {"sequence": last_seq(engine), "exchanges": log.to_dict(orient="records")}
    table = Table(title=f"Change sequence at {result['sequence']}")
    for col in ("peer", "direction", "from", "to", "status", "finished"):
        table.add_column(col)
    for r in result["exchanges"]:
        table.add_row(r["peer"], r["direction"], str(r["from_seq"]), str(r["to_seq"]), r["status"],
                      str(r["finished_at"] or ""))
    emit(result, as_json, human=table)
