"""The docs stay true to the code.

docs/configuration.md: its configs validate, its error messages are the ones crmsync gives,
and its tables list the keys and defaults of the config models.
docs/cli.md: every command, option and exit code it names exists, and every command and
option of the command line is documented.
docs/architecture.md: its layer table is the one tests/unit/test_layering.py enforces, and
the files and tests it names exist.
docs/writing-a-connector.md: its quotes of the toy connector are verbatim, its code
compiles against the real SDK, and its tables cover every capability and conformance check.
Every relative link in the four docs leads to a file and heading that exist.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import re
import textwrap
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import crmsync.cli.inspect  # registers its commands on the app
import crmsync.cli.scaffold  # registers its commands on the app
import crmsync.sdk
from crmsync import yamlfile
from crmsync.cli.app import app
from crmsync.cli.exitcodes import ExitCode
from crmsync.config import (
    Config,
    ConnectionConfig,
    Guards,
    MetricsConfig,
    NotifyConfig,
    SchedulerConfig,
    StateConfig,
    SyncConfig,
    WebhookConfig,
)
from crmsync.durations import format_duration
from crmsync.sdk import errors as sdk_errors
from crmsync.sdk.connector import Capability
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.registry import GROUP
from crmsync.testing.conformance import ConnectorConformance
from crmsync.testing.http_conformance import HttpConformance
from crmsync.workspace import Workspace
from crmsync_connectors.files import FileObjectSettings

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
MINE = (
    "architecture.md",
    "writing-a-connector.md",
    "configuration.md",
    "cli.md",
    "operations.md",
)
# Commands the docs name only to say they do not exist yet.
NOT_YET: frozenset[str] = frozenset()
GLOBAL_OPTIONS = frozenset({"--config", "-c", "--log-level", "--log-format", "--version", "--help"})
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string (``yaml invalid``), its text, its line."""

    doc: str
    info: str
    text: str
    line: int

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info else ""

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def _text(doc: str) -> str:
    return (DOCS / doc).read_text(encoding="utf-8")


def _blocks(doc: str) -> list[Block]:
    found: list[Block] = []
    lines = _text(doc).splitlines(keepends=True)
    index = 0
    while index < len(lines):
        opening = re.match(r"```(.*)$", lines[index].rstrip("\n"))
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].rstrip("\n") == "```")
        body = "".join(lines[index + 1 : end])
        found.append(Block(doc, opening.group(1).strip(), body, index + 1))
        index = end + 1
    return found


def _prose(text: str) -> str:
    """``text`` with code blocks blanked out (same length, same lines), so ``#`` in code is no
    heading."""
    return re.sub(r"```.*?```", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.DOTALL)


def _section(doc: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level."""
    text = _text(doc)
    prose = _prose(text)
    level = heading.split(" ", maxsplit=1)[0]
    start = prose.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", prose) if m.start() >= start]
    return text[start : min(ends, default=len(text))]


def _tables(text: str, header: str) -> list[list[list[str]]]:
    """The rows of each table in ``text`` whose header line starts with ``header``."""
    lines = text.splitlines()
    found = []
    for start in (i for i, line in enumerate(lines) if line.startswith(header)):
        rows = []
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        found.append(rows)
    assert found, f"no table with the header {header!r}"
    return found


def _table(text: str, header: str) -> list[list[str]]:
    """The rows of the first table in ``text`` whose header line starts with ``header``."""
    return _tables(text, header)[0]


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# -- docs/configuration.md -----------------------------------------------------------------

CONFIG_DOC = "configuration.md"
EXAMPLE = (ROOT / "config.example.yaml").read_text(encoding="utf-8")


def _config_blocks(doc: str) -> list[Block]:
    return [b for b in _blocks(doc) if b.lang == "yaml" and b.info != "yaml invalid"]


def _error_examples() -> list[tuple[Block, Block]]:
    blocks = _blocks(CONFIG_DOC)
    pairs = []
    for index, block in enumerate(blocks):
        if block.info == "yaml invalid":
            following = blocks[index + 1]
            assert following.lang == "text", f"{block}: an invalid config needs its error after it"
            pairs.append((block, following))
    return pairs


def test_the_complete_example_is_config_example_yaml() -> None:
    assert _config_blocks(CONFIG_DOC)[0].text == EXAMPLE


@pytest.mark.parametrize("block", _config_blocks(CONFIG_DOC), ids=str)
def test_every_config_in_configuration_md_validates(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block, over the complete example (so fragments such as `syncs:` stand alone)."""
    data = yamlfile.loads(EXAMPLE, "config.example.yaml").data
    data.update(yamlfile.loads(block.text, str(block)).data)
    for name in _ENV.findall(EXAMPLE + block.text):
        value = "https://example.invalid" if name.endswith("_URL") else "docs-example-value"
        monkeypatch.setenv(name, value)
    path = tmp_path / "crmsync.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    Workspace.open(path).close()


@pytest.mark.parametrize(
    "block", [b for doc in MINE if doc != CONFIG_DOC for b in _config_blocks(doc)], ids=str
)
def test_configs_in_the_other_docs_have_the_shape_of_crmsync_yaml(block: Block) -> None:
    data = yamlfile.loads(EXAMPLE, "config.example.yaml").data
    data.update(yamlfile.loads(block.text, str(block)).data)
    yamlfile.validate(Config, yamlfile.loads(yaml.safe_dump(data), str(block)))


def test_configuration_md_shows_several_real_errors() -> None:
    assert len(_error_examples()) >= 5


@pytest.mark.parametrize("example", _error_examples(), ids=lambda e: str(e[0]))
def test_every_documented_error_is_the_one_crmsync_gives(
    example: tuple[Block, Block], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, shown = example
    for name in _ENV.findall(config.text):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    Path("crmsync.yaml").write_text(config.text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Workspace.open(Path("crmsync.yaml")).close()
    assert f"error: {raised.value}\n" == shown.text


def _shown_default(field: FieldInfo) -> str:
    """A default as the docs' tables write it: `5m`, required, or none."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None or (
        isinstance(value, BaseModel) and all(v is None for v in value.model_dump().values())
    ):
        return "none"
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if value == {}:
        return "`{}`"
    return f"`{value}`"


@pytest.mark.parametrize(
    ("heading", "model"),
    [
        ("## state", StateConfig),
        ("## connections", ConnectionConfig),
        ("## The files connector", FileObjectSettings),
        ("## syncs", SyncConfig),
        ("## Guards", Guards),
        ("## scheduler", SchedulerConfig),
        ("### metrics", MetricsConfig),
        ("## notify", NotifyConfig),
        ("### webhook", WebhookConfig),
    ],
)
def test_key_tables_list_every_key_with_its_default(heading: str, model: type[BaseModel]) -> None:
    rows = _table(_section(CONFIG_DOC, heading), "| key | default | meaning |")
    documented = {_ticked(key)[0]: default for key, default, _ in rows}
    expected = {
        field.alias or name: _shown_default(field) for name, field in model.model_fields.items()
    }
    assert documented == expected


# -- docs/cli.md ---------------------------------------------------------------------------

CLI_DOC = "cli.md"


def _commands() -> dict[str, Any]:
    """Every command by its full name (``run``, ``state reset``), as click sees it."""
    root: Any = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            else:
                found[prefix + name] = command

    walk(root, "")
    return found


def _options(command: Any) -> set[str]:
    return {
        opt
        for param in command.params
        if param.param_type_name == "option"
        for opt in (*param.opts, *param.secondary_opts)
    }


def _command_sections() -> dict[str, str]:
    text = _text(CLI_DOC)
    return {
        match.group(1): _section(CLI_DOC, match.group(0))
        for match in re.finditer(r"^### `crmsync ([a-z -]+)`$", text, re.MULTILINE)
    }


def test_every_command_has_a_section_and_every_section_a_command() -> None:
    assert sorted(_command_sections()) == sorted(_commands())


@pytest.mark.parametrize("name", sorted(_commands()))
def test_each_section_names_exactly_its_commands_options(name: str) -> None:
    command = _commands()[name]
    section = _command_sections()[name]
    long_options = {o for o in _options(command) if o.startswith("--")}
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", section))
    explained = set(re.findall(r"^- `(--[a-z][a-z-]*)", section, re.MULTILINE))
    assert long_options - explained == set(), "options without a `- --option: ...` line"
    assert mentioned - long_options - GLOBAL_OPTIONS == set(), "options the command lacks"
    arguments = [p.name for p in command.params if p.param_type_name == "argument"]
    usage = re.search(rf"^crmsync {name}(?: .*)?$", section, re.MULTILINE)
    assert usage is not None, "the section starts with a usage line in a code block"
    for argument in arguments:
        shown = "OBJECT" if argument == "object_name" else argument.upper()
        assert shown in usage.group(0), f"argument {argument} missing from the usage line"


def _invocations(doc: str) -> Iterator[str]:
    """The command named by each `crmsync ...` in code spans and command lines of code blocks."""
    spans = re.findall(r"`([^`\n]+)`", _text(doc))
    lines = [
        line.removeprefix("$ ")
        for block in _blocks(doc)
        for line in block.text.splitlines()
        if re.match(r"(\$ )?crmsync ", line)
    ]
    for snippet in spans + lines:
        for match in re.finditer(r"(?:^|[\s(])crmsync((?: [^\s|;&)`]+)+)", snippet):
            words = match.group(1).split()
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option in ("-c", "--config", "--log-level", "--log-format") and words:
                    words.pop(0)
            if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
                yield " ".join(words[:2]) if words[0] in ("state", "config") else words[0]


@pytest.mark.parametrize("doc", MINE)
def test_every_command_the_docs_name_exists(doc: str) -> None:
    commands = _commands()
    named = set(_invocations(doc))
    assert named, f"{doc} names no command"
    assert named - set(commands) - NOT_YET == set()


def test_the_commands_the_docs_call_missing_are_still_missing() -> None:
    assert NOT_YET & {name.split()[0] for name in _commands()} == set()


def test_the_exit_code_table_is_exitcodes_py() -> None:
    rows = _table(_section(CLI_DOC, "## Exit codes"), "| code | name |")
    assert [(int(code), _ticked(name)[0]) for code, name, *_ in rows] == [
        (int(code), code.name) for code in ExitCode
    ]


def test_exit_codes_named_in_prose_exist() -> None:
    known = {int(code) for code in ExitCode}
    for doc in MINE:
        for number in re.findall(r"exit code (\d+)", _text(doc)):
            assert int(number) in known, f"{doc}: exit code {number}"


# -- docs/architecture.md ------------------------------------------------------------------

ARCH_DOC = "architecture.md"


def _layering_rules() -> dict[str, tuple[str, ...]]:
    path = ROOT / "tests" / "unit" / "test_layering.py"
    spec = importlib.util.spec_from_file_location("_layering_rules", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rules: dict[str, tuple[str, ...]] = module.ALLOWED
    return rules


def test_the_layer_table_is_the_one_the_layering_test_enforces() -> None:
    rows = _table(_text(ARCH_DOC), "| package | may import")
    documented = {_ticked(package)[0]: set(_ticked(allowed)) for package, allowed in rows}
    enforced = {package: set(allowed) - {package} for package, allowed in _layering_rules().items()}
    assert documented == enforced


def _path_exists(token: str) -> bool:
    bases = (ROOT, ROOT / "src" / "crmsync", ROOT / "src")
    return any((base / token).exists() for base in bases)


@pytest.mark.parametrize("doc", MINE)
def test_the_files_and_tests_the_docs_name_exist(doc: str) -> None:
    ticked = re.findall(r"`([^`\s]+)`", _text(doc))
    # Paths with a folder in them; bare names (connector.py) are generic, ./x is the user's.
    paths = [t for t in ticked if re.fullmatch(r"\w[\w.-]*/[\w./-]*(\.py|\.md|\.yaml|/)", t)]
    paths = [p for p in paths if not p.startswith("out/")]
    assert [p for p in paths if not _path_exists(p)] == []
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    tests += (ROOT / "src/crmsync/testing/conformance.py").read_text(encoding="utf-8")
    tests += (ROOT / "src/crmsync/testing/http_conformance.py").read_text(encoding="utf-8")
    named = {t for t in ticked if re.fullmatch(r"test_\w+", t)}
    assert {t for t in named if f"def {t}(" not in tests} == set()


# -- docs/writing-a-connector.md -----------------------------------------------------------

GUIDE = "writing-a-connector.md"


def _python_blocks() -> list[Block]:
    return [b for b in _blocks(GUIDE) if b.lang == "python"]


def _quoted_file(block: Block) -> Path | None:
    first = block.text.splitlines()[0]
    match = re.fullmatch(r"# ([\w/.-]+\.py)", first)
    return None if match is None else ROOT / match.group(1)


def test_the_guide_quotes_the_toy_connector() -> None:
    quoted = {_quoted_file(b) for b in _python_blocks()} - {None}
    toy = ROOT / "tests" / "unit" / "sdk" / "toy"
    assert {toy / "connector.py", toy / "emulator.py", toy / "test_toy_http.py"} <= quoted


@pytest.mark.parametrize("block", _python_blocks(), ids=str)
def test_python_in_the_guide_compiles_against_the_real_sdk(block: Block) -> None:
    source = block.text
    quoted = _quoted_file(block)
    if quoted is not None:
        excerpt = source.split("\n", 1)[1]
        assert excerpt in quoted.read_text(encoding="utf-8"), f"not verbatim from {quoted}"
        source = excerpt
    tree = ast.parse(textwrap.dedent(source), str(block))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("crmsync"):
            module = importlib.import_module(node.module)
            public = getattr(module, "__all__", None) if node.module == "crmsync.sdk" else None
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                assert public is None or alias.name in public, f"{alias.name} is not public"
        if not isinstance(node, ast.ClassDef):
            continue
        real = getattr(crmsync.sdk, node.name, None)
        if isinstance(real, type) and dataclasses.is_dataclass(real):
            shown = [
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            ]
            assert shown == [f.name for f in dataclasses.fields(real)], node.name


def test_entry_point_snippets_use_the_registrys_group() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    real = pyproject["project"]["entry-points"][GROUP]
    snippets = [tomllib.loads(b.text) for b in _blocks(GUIDE) if b.lang == "toml"]
    assert len(snippets) >= 2
    for snippet in snippets:
        points = snippet["project"]["entry-points"][GROUP]
        assert all(re.fullmatch(r"[\w.]+:\w+", value) for value in points.values())
        for name, value in points.items():
            assert real.get(name, value) == value, f"pyproject.toml registers {name} otherwise"


def test_the_capability_table_lists_every_capability() -> None:
    rows = _table(_section(GUIDE, "## 4. Object types"), "| flag | promise |")
    assert [_ticked(flag)[0] for flag, *_ in rows] == [c.name for c in Capability]


@pytest.mark.parametrize("suite", [ConnectorConformance, HttpConformance])
def test_the_guide_describes_every_conformance_check(suite: type) -> None:
    tables = _tables(_section(GUIDE, "## 9. The conformance kit"), "| check | proves |")
    documented = {_ticked(check)[0] for rows in tables for check, *_ in rows}
    checks = {name for name in vars(suite) if name.startswith("test_")}
    assert checks <= documented
    assert documented <= set(vars(ConnectorConformance)) | set(vars(HttpConformance))


def test_the_error_table_names_real_errors() -> None:
    rows = _table(_section(GUIDE, "## 7. Errors: which to raise when"), "| raise | when |")
    for cell, *_ in rows:
        name = _ticked(cell)[0].split("(")[0]
        assert isinstance(getattr(sdk_errors, name, None), type), name


# -- links ---------------------------------------------------------------------------------


def _anchors(path: Path) -> set[str]:
    """GitHub's ids for the headings of a markdown file."""
    text = _prose(path.read_text(encoding="utf-8"))
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("doc", MINE)
def test_every_relative_link_leads_somewhere(doc: str) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", _text(doc)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (DOCS / file).resolve() if file else DOCS / doc
        inside = path.exists() and path.resolve().is_relative_to(ROOT)
        if not inside or (anchor and anchor not in _anchors(path)):
            broken.append(target)
    assert broken == []
