"""The ``crmsync`` command line: parse, call the workspace, render. Nothing else."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from crmsync import __version__
from crmsync.cli import render
from crmsync.cli.exitcodes import ExitCode, for_error, for_outcome
from crmsync.cli.logs import LogFormat, LogLevel, configure
from crmsync.cli.progress import RichProgress
from crmsync.config import Config, config_path
from crmsync.engine.job import RunKind, RunOptions
from crmsync.engine.progress import Progress
from crmsync.engine.reports import RunReport
from crmsync.sdk.errors import ConfigError, CrmsyncError
from crmsync.sdk.redact import REDACTOR
from crmsync.workspace import Workspace

app = typer.Typer(
    name="crmsync",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # reflows docstring paragraphs; `code` is highlighted
    pretty_exceptions_enable=False,
)
state_app = typer.Typer(
    help="Reset a sync's stored state (`status`, `runs` and `failures` show it).",
    no_args_is_help=True,
)
config_app = typer.Typer(help="Work with crmsync.yaml itself.", no_args_is_help=True)
app.add_typer(state_app, name="state")
app.add_typer(config_app, name="config")

# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

T = TypeVar("T")

_log = logging.getLogger("crmsync.cli")
_LABELS = {logging.ERROR: ("error:", "red"), logging.WARNING: ("warning:", "yellow")}


@dataclass
class Options:
    config: Path | None = None
    log_format: LogFormat = "text"


OPTIONS = Options()

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
SyncArg = Annotated[str, typer.Argument(help="The sync's name in crmsync.yaml.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"crmsync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file. Default: $CRMSYNC_CONFIG, else ./crmsync.yaml.",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        LogLevel, typer.Option(help="How much to log on stderr.", case_sensitive=False)
    ] = "warning",
    log_format: Annotated[
        LogFormat,
        typer.Option(help="json: every stderr line is a JSON object, messages included."),
    ] = "text",
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Keep CRMs and referral/affiliate platforms in agreement.

    Incremental, idempotent, crash-safe syncs, described in crmsync.yaml.

    Exit codes: 0 ok, 1 internal error (a bug), 2 bad config or usage, 3 `plan` has
    changes, 4 some records failed, 5 sync already running, 6 stopped by a guard,
    7 credentials rejected, 8 API or state store error, 130 interrupted.
    """
    OPTIONS.config = config
    OPTIONS.log_format = log_format
    configure(log_level, log_format)


def _tell(level: int, message: str) -> None:
    """A message for the user on stderr; a JSON log line under ``--log-format json``."""
    message = REDACTOR.redact(message)
    if OPTIONS.log_format == "json":
        _log.log(level, message)
        return
    label, style = _LABELS[level]
    err.print(Text.assemble((label, style), " ", message), soft_wrap=True, highlight=False)


def _fail(error: CrmsyncError) -> typer.Exit:
    _tell(logging.ERROR, str(error))
    return typer.Exit(int(for_error(error)))


def _call(action: Callable[[], T]) -> T:
    """Run ``action``, turning crmsync errors into a message and their exit code."""
    try:
        return action()
    except CrmsyncError as exc:
        raise _fail(exc) from None


@contextmanager
def _workspace(*, connections: bool = True) -> Iterator[Workspace]:
    """The workspace of --config; ``connections=False`` for commands that read only state."""
    path = config_path(OPTIONS.config)
    workspace = _call(lambda: Workspace.open(path, connections=connections))
    try:
        yield workspace
    finally:
        workspace.close()


@contextmanager
def _graceful_stop(
    notice: str = "stopping after the batch in flight (signal again to stop now)",
) -> Iterator[threading.Event]:
    """First SIGINT/SIGTERM: sets the event, to finish what is in flight. Second: stop now."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _tell(logging.WARNING, notice)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Progress | None]:
    if not (enabled and err.is_terminal and OPTIONS.log_format == "text"):
        yield None
        return
    with RichProgress(err, label) as bar:
        yield bar


def _execute(sync: str, options: RunOptions, as_json: bool) -> None:
    with _workspace() as workspace, _graceful_stop() as stop:
        with _progress(sync, not as_json) as progress:
            report: RunReport = _call(
                lambda: workspace.run(
                    sync, options, progress=progress, stop=stop, owner=f"crmsync {options.kind}"
                )
            )
        if as_json:
            render.print_json(out, report)
        else:
            render.run_report(out, report)
    code = for_outcome(report.outcome) if report.error is None else for_error(report.error)
    raise typer.Exit(int(code))


@app.command()
def run(
    sync: SyncArg,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Read every source record, not just changes; still writes only differences.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Proceed even if a mass-change guard would stop.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run a sync now: read changes, write what differs, remember where it stopped."""
    kind = RunKind.FULL_REFRESH if full_refresh else RunKind.RUN
    _execute(sync, RunOptions(kind=kind, force=force), as_json)


def _timestamp(value: str) -> datetime:
    """An ISO date or date-time; UTC when it names no zone; a date alone is its midnight."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"expected an ISO date or datetime such as 2026-01-31 or 2026-01-31T12:00Z, "
            f"found {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _end_timestamp(value: str) -> datetime:
    """Like ``_timestamp``, but a date alone means the end of that day (it is included)."""
    parsed = _timestamp(value)
    if len(value.strip()) == len("2026-01-31"):
        return parsed + timedelta(days=1, microseconds=-1)
    return parsed


@app.command()
def backfill(
    sync: SyncArg,
    since: Annotated[
        datetime,
        typer.Option(
            parser=_timestamp,
            help="Start of the window, included (ISO date or date-time; UTC if no zone).",
        ),
    ],
    until: Annotated[
        datetime | None,
        typer.Option(
            parser=_end_timestamp,
            help="End of the window, included; a date alone includes that whole day. "
            "Default: no end.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Override mass-change guards.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-sync records changed in a time window, leaving the incremental cursor alone."""
    if until is not None and until < since:
        raise _fail(
            ConfigError(
                f"--until {until.isoformat()} is before --since {since.isoformat()}",
                hint="the window runs from --since to --until",
            )
        )
    _execute(sync, RunOptions(RunKind.BACKFILL, since=since, until=until, force=force), as_json)


@app.command()
def retry(sync: SyncArg, as_json: JsonFlag = False) -> None:
    """Retry every record in the sync's failures table now, parked ones included.

    Records are retried as they were read, so retry after fixing the field map or the
    target; a record fixed at the source comes back with the next run.
    """
    _execute(sync, RunOptions(RunKind.RETRY, force=True), as_json)


@app.command()
def plan(
    sync: SyncArg,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Plan a full refresh instead.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Dry run: what a run would create, update, archive and skip; writes nothing.

    Exit code 0 when there is nothing to write, 3 when there is.
    """
    kind = RunKind.FULL_REFRESH if full_refresh else RunKind.RUN
    with _workspace() as workspace, _progress(sync, not as_json) as progress:
        report = _call(lambda: workspace.plan(sync, RunOptions(kind), progress=progress))
    if as_json:
        render.print_json(out, {**asdict(report), "has_changes": report.has_changes})
    else:
        render.plan_report(out, report)
    raise typer.Exit(int(ExitCode.CHANGES if report.has_changes else ExitCode.OK))


@app.command()
def check(as_json: JsonFlag = False) -> None:
    """Validate the config, connections and every field map against the live schemas."""
    with _workspace() as workspace:
        results = _call(lambda: list(workspace.check()))
    errors = [r for r in results if r.severity == "error"]
    if as_json:
        render.print_json(out, results)
    elif not results:
        out.print("[green]all syncs check out[/]")
    else:
        out.print(
            render.table(
                None,
                ["sync", "severity", "where", "problem", "hint"],
                [[r.sync, r.severity, r.where, r.message, r.hint] for r in results],
            )
        )
    raise typer.Exit(int(ExitCode.USAGE if errors else ExitCode.OK))


@app.command()
def connectors(as_json: JsonFlag = False) -> None:
    """List installed connectors (built-in and third-party)."""
    from crmsync.sdk.registry import available, connector_class

    rows = []
    for name, entry in sorted(available().items()):
        try:
            title = connector_class(name).title
        except ConfigError as exc:  # one broken package must not hide the others
            title = f"cannot load: {exc.message}"
        dist = entry.dist.name if entry.dist else "-"
        rows.append({"name": name, "title": title, "package": dist, "module": entry.value})
    if as_json:
        render.print_json(out, rows)
        return
    out.print(
        render.table(None, ["name", "title", "package", "module"], [list(r.values()) for r in rows])
    )


@app.command()
def describe(
    connection: Annotated[str, typer.Argument(help="A connection name in crmsync.yaml.")],
    object_name: Annotated[str, typer.Argument(metavar="OBJECT", help="An object type.")],
    as_json: JsonFlag = False,
) -> None:
    """Show an object type's fields, key, cursor and capabilities, as the platform reports them."""
    with _workspace() as workspace:

        def describe_object() -> tuple[Any, Any]:
            workspace.loaded.connection(connection)
            obj = workspace.connector(connection).object_type(object_name)
            return obj, obj.describe()

        obj, schema = _call(describe_object)
    summary = {
        "connection": connection,
        "object": obj.name,
        "key": obj.key,
        "cursor_field": obj.cursor_field,
        "capabilities": obj.capabilities.describe(),
        "max_batch_size": obj.max_batch_size,
        "open_schema": schema.open,
        "fields": list(schema),
    }
    if as_json:
        render.print_json(out, summary)
        return
    out.print(
        f"[bold]{escape(connection)}.{escape(obj.name)}[/]  key: {escape(obj.key)}  "
        f"cursor: {escape(obj.cursor_field or '-')}  batch: {obj.max_batch_size}  "
        f"can: {', '.join(summary['capabilities'])}"
    )
    out.print(
        render.table(
            None,
            ["field", "type", "required", "read-only", "unique", "label"],
            [[f.name, f.type, f.required, f.read_only, f.unique, f.label] for f in schema],
        )
    )


@config_app.command("schema")
def config_schema(
    mapping: Annotated[
        bool, typer.Option("--mapping", help="The field-map schema instead of crmsync.yaml's.")
    ] = False,
) -> None:
    """Print the JSON Schema of crmsync.yaml (or of field maps), for editors."""
    if mapping:
        from crmsync.mapping import FieldMap

        schema = FieldMap.model_json_schema()
    else:
        schema = Config.model_json_schema(by_alias=True)
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")


def main() -> None:
    """Console-script entry point.

    Typer turns Ctrl-C into exit code 130 itself. Anything unexpected is a bug: it is
    reported in one line, with the traceback logged at debug level, both redacted.
    """
    try:
        if _json_logs_requested(sys.argv[1:]):
            sys.exit(_main_with_json_usage_errors())
        app()
    except Exception as exc:
        _log.debug("the traceback of the unexpected error", exc_info=True)
        _tell(
            logging.ERROR,
            f"unexpected {type(exc).__name__}: {exc}\n  this is a bug: please report it "
            "with the output of the same command run with --log-level debug",
        )
        sys.exit(int(ExitCode.ERROR))


def _json_logs_requested(args: list[str]) -> bool:
    """Whether the command line asks for JSON logs, known before typer parses it."""
    pairs = zip(args, [*args[1:], ""], strict=True)
    return "--log-format=json" in args or ("--log-format", "json") in pairs


def _main_with_json_usage_errors() -> int:
    """Run the app so that usage errors, too, reach stderr as JSON lines.

    JSON logging is set up first, for errors found before the options are applied.
    """
    configure("warning", "json")
    OPTIONS.log_format = "json"
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        context = getattr(exc, "ctx", None)  # usage errors know their command
        command = context.command_path if context is not None else "crmsync"
        _tell(logging.ERROR, f"{exc.format_message()} (see {command} --help)")
        return exc.exit_code
    except typer.Abort:
        return int(ExitCode.ERROR)
    return code if isinstance(code, int) else int(ExitCode.OK)
