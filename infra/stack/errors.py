"""A local service that cannot be started; the message says what to install or which variable to set."""


class StackError(Exception):
    pass
