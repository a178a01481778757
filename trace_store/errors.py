"""Errors the store raises when the ledger does not allow what was asked."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base of the store's refusals: each message says what happened and what to do."""


class ConservationError(StoreError):
    """A run's counts do not add up: pulled != unchanged + loaded + quarantined (architecture rule 3)."""


class StaleRunError(StoreError):
    """A batch arrived for a run that is no longer running (finished, or abandoned by a newer run)."""


class SyncInProgress(StoreError):
    """Another run holds the one-at-a-time lock of this source and entity (a sync or a steward replay)."""

    def __init__(self, source: str, entity: str, holder: str) -> None:
        super().__init__(
            f"{source}/{entity} is being loaded by another run ({holder}); "
            "wait for it to finish, or let the next run wait for it (`tracehub sync --wait SECONDS`)"
        )
        self.source = source
        self.entity = entity


class SchemaNotCurrent(StoreError):
    """The store's schema is not the revision this code needs: migrate at deploy, then run."""
