"""Lot traceability, recalls and quality KPIs."""
