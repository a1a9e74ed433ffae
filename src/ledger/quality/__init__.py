"""Quality: holds, inspections, dispositions, lot splits and merges, expiry."""
