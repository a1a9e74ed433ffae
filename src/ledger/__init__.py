"""The MIMS ledger: aggregates, events, invariants and the event store's writer."""
