"""The evidence ledger: Merkle tree hashing and proofs, signed checkpoints, the append-only log.

Import from the submodules (``affidavit.ledger.merkle`` and so on); this package
module deliberately re-exports nothing.
"""
