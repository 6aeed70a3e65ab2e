"""Errors a user can fix: the CLI prints them as one clear line and exits non-zero."""


class GroomwatchError(Exception):
    """Base for every error caused by input or configuration rather than by a bug."""


class InputError(GroomwatchError):
    """Bad input data: the message names the file, line and field where possible."""


class ConfigError(GroomwatchError):
    """A configuration value or command-line option that cannot work."""
