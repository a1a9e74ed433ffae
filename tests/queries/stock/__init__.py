"""GraphQL of stock (and the master data its answers name)."""
