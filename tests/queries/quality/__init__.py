"""GraphQL of quality: traces, recalls, KPIs."""
