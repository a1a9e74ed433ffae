"""Stock: balances, the stock ledger, lots, valuation, reservations, consumption."""
