"""The ``files`` connector: CSV and JSON Lines files as sources and targets."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from crmsync.sdk.connector import Capability, Connector, ObjectType
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.errors import ApiRequestError, ConfigError
from crmsync.sdk.records import Page, ReadRequest, WriteOp, WriteResult
from crmsync.sdk.schema import ObjectSchema
from crmsync_connectors.files.batch import WriteRules, apply_ops
from crmsync_connectors.files.formats import file_format
from crmsync_connectors.files.settings import FileObjectSettings, FilesSettings
from crmsync_connectors.files.source import FileSource
from crmsync_connectors.files.store import RowStore, sidecar_of

_ALWAYS = (
    Capability.READ | Capability.CREATE | Capability.UPSERT | Capability.UPDATE | Capability.ARCHIVE
)


class FileObject(ObjectType):
    """One file as an object type: read as a source, written as a target.

    Args:
        name: the object type's name (its key under ``objects``).
        settings: its settings.
        path: the file, resolved against the config's folder.
    """

    def __init__(self, name: str, settings: FileObjectSettings, path: Path) -> None:
        self.name = name
        self.key = settings.key
        self.cursor_field = settings.updated_at
        self.max_batch_size = settings.max_batch_size
        self.capabilities = _ALWAYS
        if settings.updated_at is not None:
            self.capabilities |= Capability.INCREMENTAL
        if settings.deleted is not None:
            self.capabilities |= Capability.DELETES
        self.settings = settings
        self.path = path
        fmt = file_format(settings)
        self._source = FileSource(name, settings, path, fmt)
        declared = None if settings.fields is None else frozenset(settings.fields)
        self._format = fmt
        self._rules = WriteRules(settings.key, declared, f"{path} (objects.{name})")
        self._store: RowStore | None = None

    def describe(self) -> ObjectSchema:
        return self._source.schema()

    def read(self, request: ReadRequest) -> Iterator[Page]:
        return self._source.pages(request)

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply ``ops`` to the sidecar in one durable transaction; ``finish`` publishes."""
        if len(ops) > self.max_batch_size:
            raise ApiRequestError(
                f"{self.name}: a batch of {len(ops)} ops exceeds max_batch_size "
                f"{self.max_batch_size}"
            )
        store = self._opened()
        codec = store.codec()
        results, changes = apply_ops(ops, self._rules, codec, store.fetch)
        store.save(changes, codec.columns)
        return results

    def finish(self) -> None:
        """Publish the file if writes changed it (also those of a run that crashed)."""
        if self._store is None and not sidecar_of(self.path).exists():
            return
        self._opened().publish_pending()

    def problems(self) -> list[ConfigError]:
        """What stops this file from being read or written.

        A missing file (or folder) is not a problem here: a target's is created on its
        first write, and reading a missing source fails naming the path.
        """
        try:
            self._check_path()
            self._source.check_columns()
        except ConfigError as exc:
            return [exc]
        return []

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _check_path(self) -> None:
        """Raise ConfigError when the path is a folder, or lies under a file."""
        if self.path.is_dir():
            problem = f"{self.path} is a folder; the path must name a file"
        else:
            folder = next((p for p in self.path.parents if p.exists()), None)
            if folder is None or folder.is_dir():
                return
            problem = f"{folder} is a file, so {self.path} cannot be created under it"
        raise ConfigError(problem, location=f"objects.{self.name}.path")

    def _opened(self) -> RowStore:
        if self._store is None:
            self._check_path()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            declared = list(self.settings.fields or ())
            self._store = RowStore(self.path, self._format, self.key, declared)
        return self._store


class FilesConnector(Connector[FilesSettings]):
    """CSV and JSON Lines files: each configured file is an object type.

    Paths resolve against the config file's folder. A source file is streamed; a target
    file is written through a sidecar database and replaced atomically by ``finish``.
    See connectors/files/README.md.
    """

    name = "files"
    title = "CSV and JSON Lines files"
    settings_model = FilesSettings

    def __init__(self, settings: FilesSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self._objects = [
            FileObject(name, item, context.path(item.path))
            for name, item in settings.objects.items()
        ]

    def object_types(self) -> Sequence[FileObject]:
        return self._objects

    def check(self) -> None:
        """Raise for folders that do not exist and files that lack a configured column."""
        problems = [problem for item in self._objects for problem in item.problems()]
        if problems:
            raise ConfigError.combine(problems)

    def close(self) -> None:
        for item in self._objects:
            item.close()
