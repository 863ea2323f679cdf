"""CSV and JSON Lines files as crmsync sources and targets (the ``files`` connector)."""

from crmsync_connectors.files.connector import FileObject, FilesConnector
from crmsync_connectors.files.settings import FileObjectSettings, FilesSettings

__all__ = ["FileObject", "FileObjectSettings", "FilesConnector", "FilesSettings"]
