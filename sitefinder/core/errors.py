"""One error type per failure a user can meet; each carries a message fit to show as is."""

from __future__ import annotations


class SitefinderError(Exception):
    """Base class: ``str(error)`` is a one-line message for the user."""


class SourceFileError(SitefinderError):
    """An input file is missing, empty, truncated or not the format it claims to be."""


class UnknownLayerError(SitefinderError):
    """A layer name that is not in the catalogue."""


class UnknownSiteError(SitefinderError):
    """A site id that is not in the database."""


class UnknownAreaError(SitefinderError):
    """A province or municipality code that is well-formed but not loaded."""


class DatabaseUnavailableError(SitefinderError):
    """The database cannot be reached or is not set up."""


class InvalidParameterError(SitefinderError):
    """A request or command parameter that cannot be used."""


class DownloadError(SitefinderError):
    """A download failed: the server refused it (4xx), or kept failing after every retry."""


class NotAuthenticatedError(SitefinderError):
    """The request needs a logged-in user and has no (valid) session, or a login failed."""


class PermissionDeniedError(SitefinderError):
    """The user is logged in but may not do this (role, scope, or a missing CSRF token)."""


class TooManyAttemptsError(SitefinderError):
    """Too many failed logins for an account or from an address: wait ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


class WeakPasswordError(InvalidParameterError):
    """A new password that does not meet the minimum strength."""


class UnknownUserError(SitefinderError):
    """An account (e-mail address or id) that does not exist."""


class TransitionError(SitefinderError):
    """A flag status change the workflow does not allow from the current status."""


class DataLossError(SourceFileError):
    """A load that would lose most of a layer (quarantine nearly every record, or shrink it far
    below its previous size); refused unless accepted knowingly (``--accept-loss``)."""


class BodyTooLargeError(InvalidParameterError):
    """A request body over the limit of its endpoint."""


class ServiceBusyError(SitefinderError):
    """Every worker is busy and the queue is full (or waited too long): try again shortly."""


class TimeBudgetError(SitefinderError):
    """A request's database work took longer than its budget and was cancelled."""
