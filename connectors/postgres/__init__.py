"""PostgreSQL: the connection pool, versioned migrations and (later) projections and queries."""
