"""Tests of the stock card."""
