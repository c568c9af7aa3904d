"""The root of every infrastructure error raised by `connectors`; each package derives its own."""


class ConnectorError(Exception):
    """Something outside the process is missing, misconfigured or broken."""


class SettingsError(ConnectorError):
    """A setting from the environment cannot be used; the message names the variable."""
