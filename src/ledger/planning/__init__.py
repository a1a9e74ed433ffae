"""Planning on the ledger: planned orders and the planning board."""
