"""The local stack: Kafka, PostgreSQL and Redis on loopback, started, checked and stopped by pid.

Each service module offers the same four verbs (`start`, `health`, `stop`, `log_path`); `services`
orders them and `fasttrading stack` exposes them. A service that already answers at its configured
address is reused, whoever started it, so `up` is idempotent and external services need only
environment variables.
"""
