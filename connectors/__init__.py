"""Every conversation with the outside world: Kafka, PostgreSQL, Redis, exchanges, chains, settings.

One package per outside system (`kafka`, `postgres`, `redis`), each alike: settings live in
`connectors.settings`, then a client module, serde or queries, and errors.
"""
