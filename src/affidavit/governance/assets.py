"""Asset context: what policy knows about a target. Unknown targets count as critical."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, select, tuple_

from affidavit.governance import _tables as t
from affidavit.governance._common import from_json, json_text
from affidavit.ledger.batch import Batch
from affidavit.ledger.entry import Entry
from affidavit.policy import Asset, Target

__all__ = ["import_assets", "lookup"]


def import_assets(batch: Batch, imported: Sequence[Asset], source: str) -> int:
    """Insert or replace assets; one ledger entry lists what changed."""
    conn = batch.conn
    for asset in imported:
        conn.execute(
            delete(t.assets).where(t.assets.c.kind == asset.kind, t.assets.c.id == asset.id)
        )
        conn.execute(
            t.assets.insert(),
            dict(
                kind=asset.kind,
                id=asset.id,
                criticality=asset.criticality,
                environment=asset.environment,
                owner=asset.owner,
                tags=json_text(list(asset.tags)),
            ),
        )
    batch.append(
        Entry(
            time=batch.time,
            type="assets.imported",
            actor="system:admin",
            body={"source": source[-200:], "assets": [a.to_dict() for a in imported]},
        )
    )
    return len(imported)


def lookup(conn: Connection, targets: Sequence[Target]) -> list[Asset]:
    """Assets for ``targets`` in order; a target not in the inventory is critical."""
    keys = [(x.kind, x.id) for x in targets]
    if len(keys) == 1:  # the common case, without a row-value IN to compile
        q = select(t.assets).where(t.assets.c.kind == keys[0][0], t.assets.c.id == keys[0][1])
    else:
        q = select(t.assets).where(tuple_(t.assets.c.kind, t.assets.c.id).in_(keys))
    rows = conn.execute(q)
    known = {
        (r.kind, r.id): Asset(
            id=r.id,
            kind=r.kind,
            criticality=r.criticality,
            environment=r.environment,
            owner=r.owner,
            tags=tuple(from_json(r.tags)),
        )
        for r in rows
    }
    return [known.get((x.kind, x.id)) or Asset.unknown(x.kind, x.id) for x in targets]
