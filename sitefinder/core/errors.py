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


class DatabaseUnavailableError(SitefinderError):
    """The database cannot be reached or is not set up."""


class InvalidParameterError(SitefinderError):
    """A request or command parameter that cannot be used."""


class DownloadError(SitefinderError):
    """A download failed: the server refused it (4xx), or kept failing after every retry."""
