"""Settings of a ``files`` connection: one object type per CSV or JSON Lines file."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, PrivateAttr, model_validator

from crmsync.sdk.schema import FieldType

FormatName = Literal["csv", "jsonl"]

_FORMAT_BY_SUFFIX: dict[str, FormatName] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class FileObjectSettings(BaseModel):
    """One file, read as a source or written as a target."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1,
        description="The file, relative to the folder of the config file unless absolute.",
    )
    format: FormatName | None = Field(
        default=None,
        description="csv or jsonl; inferred from the suffix (.csv, .jsonl, .ndjson) when unset.",
    )
    key: str = Field(
        default="id",
        min_length=1,
        description="The column holding the record id; for a target, the upsert key.",
    )
    updated_at: str | None = Field(
        default=None,
        min_length=1,
        description="The column holding the modified time; makes reads incremental.",
    )
    deleted: str | None = Field(
        default=None,
        min_length=1,
        description="A column whose non-empty, non-false value marks a record deleted.",
    )
    fields: dict[str, FieldType] | None = Field(
        default=None,
        description="The file's columns and their types. A target writes exactly these "
        "(plus any the file already has); unset, columns come from the file.",
    )
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="CSV field separator."
    )
    page_size: PositiveInt = Field(default=1000, description="Records per page when reading.")
    max_batch_size: PositiveInt = Field(
        default=1000, description="Most write ops the engine may send in one batch."
    )

    _format: FormatName = PrivateAttr()

    @model_validator(mode="after")
    def _check(self) -> FileObjectSettings:
        inferred = _FORMAT_BY_SUFFIX.get(PurePath(self.path).suffix.lower())
        chosen = self.format or inferred
        if chosen is None:
            raise ValueError(
                f"cannot tell the format of {self.path!r} from its suffix; "
                "set format: csv or format: jsonl"
            )
        self._format = chosen
        if self.fields is not None:
            for setting in ("key", "updated_at", "deleted"):
                column = getattr(self, setting)
                if column is not None and column not in self.fields:
                    raise ValueError(f"{setting} column {column!r} is not listed in fields")
        return self

    @property
    def file_format(self) -> FormatName:
        """``format``, or the one inferred from the suffix."""
        return self._format


class FilesSettings(BaseModel):
    """A folder of files: each entry of ``objects`` is an object type named by its key."""

    model_config = ConfigDict(extra="forbid")

    objects: dict[str, FileObjectSettings] = Field(
        min_length=1, description="Object types by name, each backed by one file."
    )
