"""PostgreSQL failures: an unreachable server or a migration that cannot be applied."""

from connectors.errors import ConnectorError


class PostgresError(ConnectorError):
    """The database refused or could not be reached."""


class MigrationError(PostgresError):
    """A migration file is malformed, or one already applied has been edited since."""
