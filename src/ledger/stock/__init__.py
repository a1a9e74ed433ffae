"""The stock card (one stream per item), its costing, holds, reservations and lots, its
commands and handlers."""
