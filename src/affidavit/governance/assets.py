"""Asset context: what policy knows about a target. Unknown targets count as critical."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, tuple_

from affidavit.governance import _tables as t
from affidavit.governance._common import from_json
from affidavit.governance.events import AssetsImported
from affidavit.ledger.batch import Batch
from affidavit.policy import Asset, Target

__all__ = ["import_assets", "lookup"]


def import_assets(batch: Batch, imported: Sequence[Asset], source: str, *, actor: str) -> int:
    """Insert or replace assets; one ledger entry lists what changed (``actor``: the
    operator, see governance.operators)."""
    batch.emit(AssetsImported(actor=actor, source=source[-200:], assets=tuple(imported)))
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
