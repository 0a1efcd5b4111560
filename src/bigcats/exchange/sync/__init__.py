"""Exchange between national servers: signed, filtered packages of what changed, applied in order."""

from bigcats.exchange.sync.agreement import Grant, grants_for
from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.export import export_changes
from bigcats.exchange.sync.keys import NodeIdentity, default_key_dir, generate_keys, load_identity, trust_peer
from bigcats.exchange.sync.receive import receive

__all__ = ["Grant", "NodeIdentity", "SyncError", "default_key_dir", "export_changes", "generate_keys",
           "grants_for", "load_identity", "receive", "trust_peer"]
