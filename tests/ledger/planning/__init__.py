"""Tests of planned orders on the ledger."""
