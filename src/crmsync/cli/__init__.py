"""The ``crmsync`` command line.

Importing the package registers every command on ``crmsync.cli.app.app``, so that
tests (and ``python -m crmsync``) see the same command line as the console script.
"""

from crmsync.cli import inspect, scaffold, service  # noqa: F401  (their commands join the app)
from crmsync.cli.app import main

__all__ = ["main"]
