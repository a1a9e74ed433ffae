"""Tests of holds, inspections, dispositions and lots."""
