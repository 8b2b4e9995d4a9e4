"""Asset context: what policy knows about a target. Unknown targets count as critical.

A target is resolved to the inventory's name for it before policy sees it
(:func:`resolve`): its id in the canonical spelling of its kind
(``policy.targets.canonical_id``), then through the aliases of the inventory
(``asset_aliases``): explicit ones (an FQDN, a short name, an EDR or directory
id) and the short name of a host the inventory knows by its FQDN. A host FQDN
that is not in the inventory while its short name is, or an alias two assets
claim, is refused rather than guessed: either guess could pick the wrong policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, tuple_

from affidavit.errors import InputError
from affidavit.governance import _tables as t
from affidavit.governance._common import from_json
from affidavit.governance.events import AssetsImported
from affidavit.ledger.batch import Batch
from affidavit.policy import Asset, Target, canonical_target

__all__ = ["aliases_of", "import_assets", "lookup", "resolve"]


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


def aliases_of(asset: Asset) -> list[str]:
    """The names ``asset`` is also known by: its listed aliases and, for a host known
    by its FQDN, the short name (unless that is a number, as in an IP address)."""
    found = set(asset.aliases)
    if asset.kind == "host" and "." in asset.id:
        short = asset.id.split(".", 1)[0]
        if short and not short.isdigit():
            found.add(short)
    found.discard(asset.id)
    return sorted(found)


def _known(conn: Connection, kind: str, ident: str) -> bool:
    a = t.assets
    return conn.execute(select(a.c.id).where(a.c.kind == kind, a.c.id == ident)).first() is not None


def _claimed_by(conn: Connection, kind: str, alias: str) -> list[str]:
    x = t.asset_aliases
    rows = conn.execute(select(x.c.asset_id).where(x.c.kind == kind, x.c.alias == alias))
    return sorted({r.asset_id for r in rows})


def resolve(conn: Connection, target: Target) -> Target:
    """The inventory's name for ``target`` (see the module docstring); InputError when
    the inventory cannot say which asset it is."""
    found = canonical_target(target)
    if _known(conn, found.kind, found.id):
        return found
    owners = _claimed_by(conn, found.kind, found.id)
    if len(owners) == 1:
        return Target(found.kind, owners[0])
    if owners:
        raise InputError(
            f"target {found.kind}:… is an alias of {len(owners)} assets in the inventory "
            f"({', '.join(f'{found.kind}:{o}' for o in owners[:3])}); name the asset by its id."
        )
    if found.kind == "host" and "." in found.id:
        short = found.id.split(".", 1)[0]
        if short and (_known(conn, "host", short) or _claimed_by(conn, "host", short)):
            raise InputError(
                f"this host is not in the inventory, but a host named {short} is; name the "
                f"target as the inventory does, or list the full name among that asset's aliases."
            )
    return found
