"""Woonplek Sitefinder: find and rank places where aandachtsgroepen can live."""

__version__ = "0.1.0"
