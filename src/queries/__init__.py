"""The read side's API: a strawberry GraphQL schema over the DuckDB read models."""
