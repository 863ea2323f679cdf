"""The ``crmsync`` command line."""

from crmsync.cli.app import main

__all__ = ["main"]
