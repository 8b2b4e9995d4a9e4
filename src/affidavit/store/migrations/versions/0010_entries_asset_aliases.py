"""Asset aliases: the other names of an asset (FQDN, short name, EDR id) that targets
resolve through before policy (issue 9: targets are canonical).

Existing host assets known by an FQDN get their short name, as the projector derives
it; ``affidavit db rebuild`` derives the same rows (and the canonical spelling of
asset ids written in another case before this version).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_aliases",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("asset_id", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("kind", "alias", "asset_id"),
    )
    # The derivation as it was when this migration was written: history, not code.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id FROM assets WHERE kind = 'host'")).all()
    aliases = sa.table(
        "asset_aliases", sa.column("kind"), sa.column("alias"), sa.column("asset_id")
    )
    for (ident,) in rows:
        short = ident.split(".", 1)[0] if "." in ident else ""
        if short and not short.isdigit():
            op.execute(aliases.insert().values(kind="host", alias=short, asset_id=ident))


def downgrade() -> None:
    op.drop_table("asset_aliases")
