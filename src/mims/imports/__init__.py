"""Bulk import of sheets (CSV, XLSX) into the ledger: `mims import` and `POST /v1/imports`."""
