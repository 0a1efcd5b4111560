"""What the exchange between national servers remembers: trusted peers, the change log, exchanges, conflicts.

The change log gives each node one monotonically increasing sequence: every new or altered row of a survey
table or of the catalogue gets the next number, so "what changed since the last exchange with this peer" is a
range of sequence numbers. Exchanges are recorded in both directions so that an interrupted one resumes from
the last range the other side acknowledged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base


class SyncPeer(Base):
    """Another node whose signed packages this node accepts, and the partner it speaks for."""

    __tablename__ = "sync_peer"
    id: Mapped[int] = mapped_column(primary_key=True)
    node: Mapped[str] = mapped_column(String(64), unique=True)
    partner: Mapped[str] = mapped_column(String(64))  # partner code whose sharing agreements apply
    public_key: Mapped[str] = mapped_column(Text)  # Ed25519, PEM
    url: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class SyncChange(Base):
    """One new or altered row (its content hash) at a point of this node's change sequence."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_row", "partner", "project", "resource", "row_key"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner: Mapped[str] = mapped_column(String(64))
    project: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(String(255))
    row_hash: Mapped[int] = mapped_column(BigInteger)


class SyncExchange(Base):
    """One package sent to or received from a peer: its sequence range, hash and how far it got."""

    __tablename__ = "sync_exchange"
    __table_args__ = (Index("ix_sync_exchange_peer_direction", "peer", "direction"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    peer: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(4))  # 'out' or 'in'
    from_seq: Mapped[int] = mapped_column(Integer)  # exclusive
    to_seq: Mapped[int] = mapped_column(Integer)  # inclusive
    package_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # exported, sent, acknowledged, failed, applied
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    counts: Mapped[str | None] = mapped_column(Text)  # JSON text
    error: Mapped[str | None] = mapped_column(Text)


class SyncConflict(Base):
    """A row a peer sent that differs from this node's copy: listed for people to decide, never overwritten."""

    __tablename__ = "sync_conflict"
    __table_args__ = (UniqueConstraint("peer", "partner", "project", "resource", "row_key", "incoming_sha256",
                                       name="uq_sync_conflict_row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    peer: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(64))
    project: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # identification, station-moved, individual-renamed, ...
    fields: Mapped[str] = mapped_column(Text)  # JSON: the differing fields
    local: Mapped[str] = mapped_column(Text)  # JSON: this node's values of those fields
    incoming: Mapped[str] = mapped_column(Text)  # JSON: the peer's values
    incoming_sha256: Mapped[str] = mapped_column(String(64))
    package_sha256: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    resolution: Mapped[str | None] = mapped_column(String(16))  # keep-local, take-incoming
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class SyncBase(Base):
    """The content hash of a peer's row as this node held it right after receiving it, to tell local edits.

    A row whose local copy still has this hash was not changed here since, so the owner's update applies;
    one with another hash was changed on both sides and becomes a conflict.
    """

    __tablename__ = "sync_base"
    __table_args__ = (UniqueConstraint("partner", "project", "resource", "row_key", name="uq_sync_base_row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    project: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(String(255))
    row_hash: Mapped[int] = mapped_column(BigInteger)


class SyncDecision(Base):
    """A catalogue decision received from a peer, and the local catalogue_decision row that records it."""

    __tablename__ = "sync_decision"
    __table_args__ = (UniqueConstraint("partner", "project", "remote_id", name="uq_sync_decision_remote"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    peer: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(64))  # the owner whose node made the decision
    project: Mapped[str] = mapped_column(String(255))
    remote_id: Mapped[str] = mapped_column(String(64))  # the decision's id on the owner's node
    decision_id: Mapped[int] = mapped_column(Integer)  # catalogue_decision.id here


class SyncNonce(Base):
    """A signed request's nonce, remembered for the signature's validity window so it cannot be replayed."""

    __tablename__ = "sync_nonce"
    __table_args__ = (UniqueConstraint("node", "nonce", name="uq_sync_nonce"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    node: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SyncDirty(Base):
    """A media or observation row updated since the change log last looked (written by database triggers).

    New rows need no mark: the log remembers the highest id it has seen of each table (`SyncScan`).
    """

    __tablename__ = "sync_dirty"
    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[int] = mapped_column(Integer)


class SyncScan(Base):
    """The highest id of a table that the change log has looked at."""

    __tablename__ = "sync_scan"
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    max_id: Mapped[int] = mapped_column(Integer)


SYNC_TABLES = [SyncPeer, SyncChange, SyncExchange, SyncConflict, SyncBase, SyncDecision, SyncNonce, SyncDirty,
               SyncScan]
