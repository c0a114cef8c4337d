"""The user guide works when copied: every block that shows a file or a command is run as a reader would.

Each page is read as a reader follows it. A page is one project, ``my_project``
in a fresh folder, unless a ``<!-- project: NAME -->`` line starts another one
(``<!-- project: NAME from PAGE -->`` starts from the files another page built).
Each fenced block says what it is with an HTML comment on the line right above
it, which the rendered docs do not show:

``<!-- file: PATH -->``
    the whole content of ``PATH`` in the project: written there.
``<!-- append: PATH -->``
    lines to add at the end of ``PATH``: appended.
``<!-- repo-file: PATH -->``
    a file of this repository shown whole (it is tested where it lives): must be equal.
``<!-- excerpt: PATH -->``
    an abridged file of this repository: its lines must be that file's, in order.
``<!-- fragment -->``
    a few Python lines to read, not a file: no import, no ``# path`` header; must parse.
``<!-- upstream: SPOC 0.3 -->``
    code for upstream SPOC 0.3 beside SPOC's own, on the page that compares them only.
``<!-- layout -->``
    a folder tree; ``<!-- message -->`` an error or warning text SPOC prints (the error
    tests of ``tests/test_docs.py`` check each one); ``<!-- sample: REASON -->`` output
    that differs at every run (timings), shown to give its shape.

A ``console`` block needs no comment: each ``$ COMMAND`` runs with ``bash`` in the
project folder, and the lines below it, if any, must be what it prints (stdout and
stderr, as a terminal shows them); a ``...`` line stands for any lines, ``...`` within a
line for any text (`` ...`` at its end for the rest of it: a time, a process id), and a
``^C`` line is where Ctrl+C is pressed (SIGINT to the command's process group, once the
lines above it were printed). A command must exit with status 0, unless the page shows
what it prints (an error message, the problems ``check`` finds). A ``cd``
moves the next commands, an ``export NAME=VALUE ...`` sets variables for them.
``<!-- console: repo -->`` runs a block at the root of this
repository, where ``make`` and ``pip install`` run as dry runs: they would rebuild the
environment these tests run in. ``<!-- settings-output: NAME=VALUE -->`` (the form
``tests/test_settings.py`` reads too) runs a block's commands with that variable set,
as the page says the reader did in the shell.

A command that ends with ``&`` is a shell job: it runs in the background, numbered as
bash numbers jobs, while the next commands run; the lines below it are what it prints
before the next command is typed (the runner waits for them: a server ready, a worker
that consumes). ``kill %N`` does what it does in a terminal, SIGTERM to job N's process
group, and waits for the job to end; the lines below a ``kill`` are what the job printed
since the lines shown last (for ``kill %N %M``, one job's lines after the other's). A job that
ends by itself must end with status 0; one still running when the project is done is
stopped. ``<!-- port: 6379 -->`` makes the page's port 6379 a port that is free when the
test runs: it is replaced in the commands, and shown as 6379 in what they print, so that
a server the page starts never meets another one.

When a project's files changed after its last command, ``python -m spoc check``
runs on it at the end: files nobody runs would rot. A block without one of these
comments fails :func:`test_every_block_says_what_it_is`, so a new block cannot
escape. The reader's environment: no ``SPOC_*`` variable, and no plugin installed
(``SPOC_DISABLE_PLUGIN_AUTOLOAD=1``) unless the page says ``<!-- plugins: installed -->``
(every plugin installed here) or names the entry points of the ones the reader installed,
``<!-- plugins: celery -->``: the commands then run in a virtual environment that has
this one's packages except the other plugins' distributions.

``SPOC_REGENERATE_DOCS=1 pytest tests/test_docs_pages.py`` writes what the commands
print into the pages (blocks without ``...`` or ``^C``): a maintainer's tool; read the diff.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
# Pages with their own tests: errors.md (the error scenarios of test_docs.py), performance.md
# (bench/, which prints its table), cli/*.md (tests/test_cli.py runs every command shown).
NOT_HERE = {"errors.md", "performance.md"}
PAGES = ["README.md", *sorted(f"docs/{path.name}" for path in DOCS.glob("*.md") if path.name not in NOT_HERE)]
SHOWN_ROOT = "/srv"  # the docs show projects at /srv/<name>
REGENERATE = os.environ.get("SPOC_REGENERATE_DOCS") == "1"
TIMEOUT = 120

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<language>[\w+-]*)[ \t]*$")
COMMENT = re.compile(r"^[ \t]*<!--\s*(?P<body>.*?)\s*-->[ \t]*$")
PATH_HEADER = re.compile(r"^#\s*[\w./-]+\.(py|toml|md|txt|cfg)\b")
# The variable a reader set in the shell before a block's commands; tests/test_settings.py reads this form too.
SHELL_VARIABLE = re.compile(r"settings-output: (?P<name>\w+)=(?P<value>\S+)")
MARKERS = ("file", "append", "repo-file", "excerpt", "fragment", "layout", "message", "sample", "upstream")
# Code for upstream SPOC 0.3, shown beside SPOC's own on the page that compares them: run by hand against
# upstream (it needs Python 3.13 and its package), not here.
UPSTREAM_PAGES = ("docs/migrating-from-0.3.md",)


@dataclass(frozen=True)
class Block:
    """A fenced block of a page, and the comment right above it."""

    page: str
    line: int
    language: str
    text: str
    marker: str = ""

    @property
    def kind(self) -> str:
        return self.marker.split(":", 1)[0].strip()

    @property
    def argument(self) -> str:
        return self.marker.split(":", 1)[1].strip() if ":" in self.marker else ""

    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True)
class Directive:
    """A comment on a line of its own: ``project: NAME``, ``plugins: installed``."""

    page: str
    line: int
    body: str


def parse(page: str) -> list[Block | Directive]:
    """Return the blocks and directives of a page, in order."""
    lines = (REPO / page).read_text(encoding="utf-8").splitlines()
    found: list[Block | Directive] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            comment = COMMENT.match(lines[index])
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if comment is not None and FENCE.match(following) is None:
                found.append(Directive(page, index + 1, comment["body"]))
            index += 1
            continue
        indent, closing = len(fence["indent"]), fence["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != closing:
            body.append(lines[end][indent:] if not lines[end][:indent].strip() else lines[end])
            end += 1
        comment = COMMENT.match(lines[index - 1]) if index > 0 else None
        marker = comment["body"] if comment is not None else ""
        found.append(Block(page, index + 1, fence["language"], "\n".join(body) + "\n", marker))
        index = end + 1
    return found


def blocks(page: str) -> list[Block]:
    return [item for item in parse(page) if isinstance(item, Block)]


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]


# -- every block says what it is ------------------------------------------------------------------


def _problem(block: Block) -> str | None:
    """Return what is wrong with how a block is marked, or None."""
    if block.language == "mermaid":
        return None
    if block.language in ("bash", "sh", "shell", "zsh"):
        return "a command block must be ```console with `$ ` before each command, so that it runs"
    if block.language == "console":
        if not block.text.startswith("$ "):
            return "a console block starts with `$ COMMAND`"
        if block.marker not in ("", "console: repo") and not SHELL_VARIABLE.fullmatch(block.marker):
            return (
                "a console block takes no comment but `<!-- console: repo -->` or "
                f"`<!-- settings-output: NAME=VALUE -->`, not {block.marker!r}"
            )
        return None
    if block.kind not in MARKERS:
        return (
            f"say what this {block.language or 'plain'} block is with a comment on the line above it: "
            "<!-- file: PATH -->, <!-- append: PATH -->, <!-- repo-file: PATH -->, <!-- excerpt: PATH -->, "
            "<!-- fragment -->, <!-- layout -->, <!-- message --> or <!-- sample: REASON --> "
            "(this test's docstring says what each means)"
        )
    if block.kind in ("file", "append", "repo-file", "excerpt") and not block.argument:
        return f"`{block.kind}:` needs a path"
    if block.kind == "fragment":
        if block.language != "python":
            return "only Python can be a fragment; a file a reader copies is a <!-- file: PATH --> block"
        if PATH_HEADER.match(block.text):
            return "a block headed by a file name shows that file: make it <!-- file: PATH -->"
        tree = ast.parse(block.text)
        if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body):
            return "a block with imports is a module a reader copies: make it <!-- file: PATH -->"
    if block.kind in ("layout", "message", "sample") and block.language not in ("text", "json", ""):
        return f"a {block.kind} block is ```text"
    if block.kind == "sample" and not block.argument:
        return "say why a sample is not compared: <!-- sample: REASON -->"
    if block.kind == "upstream":
        if block.page not in UPSTREAM_PAGES:
            return f"upstream code is shown only on {', '.join(UPSTREAM_PAGES)}"
        if block.language == "python":
            ast.parse(block.text)
    return None


@pytest.mark.parametrize("page", PAGES)
def test_every_block_says_what_it_is(page: str) -> None:
    problems = [f"{block.where()}: {problem}" for block in blocks(page) if (problem := _problem(block))]
    assert not problems, "\n".join(problems)


def test_the_pages_are_found() -> None:
    assert "docs/getting-started.md" in PAGES
    assert "README.md" in PAGES
    assert sum(block.language == "console" for block in ALL_BLOCKS) >= 10


# -- repository files, whole or abridged ----------------------------------------------------------


@pytest.mark.parametrize(
    "block", [block for block in ALL_BLOCKS if block.kind == "repo-file"], ids=lambda block: block.where()
)
def test_a_repository_file_shown_whole_is_that_file(block: Block) -> None:
    assert block.text == (REPO / block.argument).read_text(encoding="utf-8"), (
        f"{block.where()} shows {block.argument}, which differs from the file"
    )


def _code_lines(text: str) -> list[str]:
    """Return the lines of an excerpt to find in the file: comments (ours) and `...` (what was left out) aside."""
    lines = [line.split("  #", maxsplit=1)[0].rstrip() for line in text.splitlines()]
    return [line.strip() for line in lines if line.strip() and line.strip() != "..." and not line.startswith("#")]


@pytest.mark.parametrize(
    "block", [block for block in ALL_BLOCKS if block.kind == "excerpt"], ids=lambda block: block.where()
)
def test_an_excerpt_is_the_repository_file_abridged(block: Block) -> None:
    source = [line.strip() for line in (REPO / block.argument).read_text(encoding="utf-8").splitlines()]
    position = 0
    for line in _code_lines(block.text):
        # `x = f(...` shows the start of a longer line
        start = line[:-3].rstrip() if line.endswith("...") and line[:-3].strip() else line
        matches = [index for index in range(position, len(source)) if source[index].startswith(start)]
        assert matches, f"{block.where()}: {line!r} is not in {block.argument} (after line {position})"
        position = matches[0] + 1


# -- projects: files written, commands run ---------------------------------------------------------


@dataclass
class Command:
    text: str
    expected: list[str]
    block: Block


@dataclass
class Scenario:
    """One project of a page: what to write and run, in order."""

    page: str
    name: str
    origin: str | None = None
    plugins: str = ""  # "": none installed; "installed": every one installed here; else the entry points named
    port: str = ""  # the port the page shows, made a free one (<!-- port: 6379 -->)
    steps: list[Block | Command] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page}#{self.name}"


def _commands(block: Block) -> Iterator[Command]:
    current: Command | None = None
    continued = False
    for line in block.text.splitlines():
        if continued and current is not None:
            current.text += "\n" + line
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            if current is not None:
                yield current
            current = Command(line[2:], [], block)
            continued = line.endswith("\\")
        elif current is not None:
            current.expected.append(line)
    if current is not None:
        yield current


def scenarios(page: str) -> list[Scenario]:
    """Split a page into its projects."""
    found = [Scenario(page, "my_project")]
    plugins = port = ""
    for item in parse(page):
        if isinstance(item, Directive):
            kind, _, value = item.body.partition(":")
            if kind == "project":
                name, _, origin = value.strip().partition(" from ")
                found.append(Scenario(page, name.strip(), origin.strip() or None, plugins, port))
            elif kind == "plugins":
                plugins = found[-1].plugins = value.strip()
            elif kind == "port":
                port = found[-1].port = value.strip()
        elif item.language == "console":
            found[-1].steps.extend(_commands(item))
        elif item.kind in ("file", "append"):
            found[-1].steps.append(item)
    return [scenario for scenario in found if scenario.steps]


ALL_SCENARIOS = [scenario for page in PAGES for scenario in scenarios(page)]


def reader_environment(plugins: str, venvs: Path) -> dict[str, str]:
    """A reader's shell: this interpreter's ``python`` and ``spoc`` first on PATH, no SPOC_* variable.

    With ``plugins`` naming entry points, a virtual environment in ``venvs`` that has only these plugins
    comes first on PATH. ``$REDIS_SERVER``, where the tests find ``redis-server``, is on PATH too.
    """
    skipped = ("SPOC_", "PYTEST_", "PYTHONPATH", "COV_", "VIRTUAL_ENV")
    env = {name: value for name, value in os.environ.items() if not name.startswith(skipped)}
    path = [str(Path(sys.executable).parent), env.get("PATH", "")]
    if plugins not in ("", "installed"):
        names = {name.strip() for name in plugins.split(",")}
        path.insert(0, str(reader_venv(venvs / "-".join(sorted(names)), names)))
    if os.environ.get("REDIS_SERVER"):
        path.insert(-1, str(Path(os.environ["REDIS_SERVER"]).parent))
    env["PATH"] = os.pathsep.join(path)
    env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUTF8="1", COLUMNS="80")
    if not plugins:
        env["SPOC_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def _plugin_entry_points(dist_info: Path) -> set[str]:
    """Return the names of the ``spoc.plugins`` entry points a distribution's metadata declares."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # entry point names as they are written
    parser.read(dist_info / "entry_points.txt", encoding="utf-8")
    return set(parser["spoc.plugins"]) if parser.has_section("spoc.plugins") else set()


def reader_venv(folder: Path, plugins: set[str]) -> Path:
    """Return the ``bin`` of a virtual environment with this one's packages but no plugin outside ``plugins``.

    Its site-packages links to every entry of this environment's, except the metadata of the
    distributions whose ``spoc.plugins`` entry points are not all in ``plugins``: their code stays
    importable, and no entry point names them, as if they had never been installed.
    """
    scripts = folder / "bin"
    if scripts.exists():
        return scripts
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = folder / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    found: set[str] = set()
    for source in sorted({Path(sysconfig.get_path("purelib")), Path(sysconfig.get_path("platlib"))}):
        for entry in sorted(source.iterdir()):
            names = _plugin_entry_points(entry) if entry.name.endswith(".dist-info") else set()
            found |= names
            if not names - plugins and not (site / entry.name).exists():
                (site / entry.name).symlink_to(entry)
    assert plugins <= found, f"the page names plugins that are not installed here: {sorted(plugins - found)}"
    spoc = scripts / "spoc"
    spoc.write_text(f'#!/bin/sh\nexec "{scripts / "python"}" -m spoc "$@"\n', encoding="utf-8")
    spoc.chmod(0o755)
    return scripts


def _line(line: str) -> str:
    if line == "...":
        return "(?:.*\\n)*?"  # any lines, or none
    # Within a line, any text: what differs at every run (a time, a process id).
    return ".*".join(re.escape(part) for part in line.split("...")) + "\\n"


def _pattern(expected: list[str]) -> re.Pattern[str]:
    return re.compile("".join(_line(line) for line in expected if line != "^C"))


# Python 3.10 gives a decorated definition the line of its `def` or `class`, 3.11 and later the line of
# its first decorator; the pages show the latter, which `spoc components` prints for `@component`.
DEFINED_AT = re.compile(r"(\.py):\d+\b")


def _matches(expected: list[str], output: str) -> bool:
    if _pattern(expected).fullmatch(output):
        return True
    if sys.version_info >= (3, 11):
        return False
    masked = [DEFINED_AT.sub(r"\1:N", line) for line in expected]
    return _pattern(masked).fullmatch(DEFINED_AT.sub(r"\1:N", output)) is not None


def _dry(command: str) -> str:
    """Turn what would rebuild this environment into its dry run: ``make -n``, ``pip install --dry-run``."""
    if re.match(r"make\b", command):
        return re.sub(r"^make\b", "make -n", command)
    return re.sub(r"\b(pip install)\b", r"\1 --dry-run --no-deps --no-build-isolation --quiet", command)


@dataclass
class Run:
    output: str
    status: int


# A terminal's command gets SIGINT at its default. Tests started as a background job inherit it ignored,
# and exec keeps it so: a command to press Ctrl+C in starts from a Python that resets it, then execs bash.
WITH_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execvp('bash', ['bash', '-c', sys.argv[1]])"
)


def run_command(command: str, cwd: Path, env: dict[str, str], expected: list[str]) -> Run:
    """Run a command as a terminal would; press Ctrl+C where the expected output shows ``^C``."""
    argv = [sys.executable, "-c", WITH_DEFAULT_SIGINT, command] if "^C" in expected else ["bash", "-c", command]
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    output = b""
    deadline = time.monotonic() + TIMEOUT
    # Each ^C is pressed once the lines above it were printed.
    interrupts = [_pattern(expected[:index]) for index, line in enumerate(expected) if line == "^C"]
    try:
        while True:
            if interrupts and interrupts[0].match(output.decode(errors="replace")):
                os.killpg(process.pid, signal.SIGINT)
                interrupts.pop(0)
            ready, _, _ = select.select([process.stdout], [], [], 0.05)
            chunk = os.read(process.stdout.fileno(), 65536) if ready else b""
            if ready and not chunk:
                break
            output += chunk
            if time.monotonic() > deadline:
                raise AssertionError(f"`{command}` still runs after {TIMEOUT} s; it printed:\n{output.decode()}")
        status = process.wait(timeout=TIMEOUT)
        assert not interrupts, f"`{command}` ended before printing what the page shows above its ^C:\n{output.decode()}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()
    return Run(output.decode(errors="replace"), status)


def _shown(output: str, project: Path, name: str) -> str:
    return output.replace(str(project), f"{SHOWN_ROOT}/{name}").replace(str(REPO), f"{SHOWN_ROOT}/spoc")


_REGENERATED: dict[tuple[str, int], str] = {}  # a block's text as last written, by (page, line of its fence)


def _regenerate(command: Command, output: str) -> None:  # pragma: no cover - a maintainer's tool
    """Write what a command printed under it in its block, when the block has no `...` or `^C`."""
    block = command.block
    if any(line == "^C" or "..." in line for line in command.expected):
        return
    path = REPO / block.page
    text = path.read_text(encoding="utf-8")
    current = _REGENERATED.get((block.page, block.line), block.text)
    shown = "\n".join([f"$ {command.text}", *command.expected]) + "\n"
    if shown not in current:
        return
    updated = current.replace(shown, f"$ {command.text}\n{output}", 1)
    fenced = f"```console\n{current}```"
    found = [match.start() for match in re.finditer(re.escape(fenced), text)]
    if not found:
        return
    start = min(found, key=lambda position: abs(text.count("\n", 0, position) + 1 - block.line))
    path.write_text(text[:start] + f"```console\n{updated}```" + text[start + len(fenced) :], encoding="utf-8")
    _REGENERATED[(block.page, block.line)] = updated


def _build(scenario: Scenario, tmp_path: Path) -> Path:
    """Write the files a scenario starts from: those another page builds, when it says ``from PAGE``."""
    project = tmp_path / scenario.name
    project.mkdir(parents=True, exist_ok=True)
    if scenario.origin is not None:
        [origin] = [other for other in ALL_SCENARIOS if other.id in (scenario.origin, f"{scenario.origin}#my_project")]
        for step in origin.steps:
            if isinstance(step, Block):
                _write(project, step)
    return project


def _write(project: Path, block: Block) -> None:
    path = project / block.argument
    path.parent.mkdir(parents=True, exist_ok=True)
    if block.kind == "append":
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(before + ("\n" if before and not before.endswith("\n\n") else "") + block.text, "utf-8")
    else:
        path.write_text(block.text, encoding="utf-8")


# -- shell jobs: `COMMAND &`, `kill %N` --------------------------------------------------------------

BACKGROUND = re.compile(r"(?P<command>.*?[^&])\s*&\s*(?:#.*)?")
KILL = re.compile(r"kill(?P<jobs>(?:\s+%\d+)+)\s*(?:#.*)?")
EXPORT = re.compile(r"export\s+\w+=.*")


@dataclass
class Job:
    """A command run in the background, ``COMMAND &``: a shell job, in a process group of its own."""

    number: int
    command: str
    process: subprocess.Popen[bytes]
    output: bytearray = field(default_factory=bytearray)
    shown: int = 0  # how much of its output (characters) the page showed already
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, number: int, command: str, cwd: Path, env: dict[str, str]) -> Job:
        process = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        job = cls(number, command, process)
        job.reader = threading.Thread(target=job._read, name=f"job %{number}", daemon=True)
        job.reader.start()
        return job

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            self.output += chunk

    def text(self) -> str:
        return bytes(self.output).decode(errors="replace")

    def ended(self) -> bool:
        """Whether the job ended; its whole output is read then."""
        if self.process.poll() is None:
            return False
        assert self.reader is not None
        self.reader.join(TIMEOUT)
        return True

    def describe(self) -> str:
        return f"job %{self.number} `{self.command}`"

    def stop(self) -> None:
        """Stop the job and what it left in its process group: SIGTERM, then SIGKILL."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.reader is not None:
            self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _after(text: str, lines: int) -> int:
    """Return the length of the first ``lines`` lines of ``text``."""
    position = 0
    for _ in range(lines):
        position = text.index("\n", position) + 1
    return position


def free_port() -> int:
    """Return a TCP port free on localhost right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Shell:
    """The reader's terminal for one project: its variables, folders, jobs, and the page's port."""

    scenario: Scenario
    project: Path
    env: dict[str, str]
    folders: dict[bool, Path]  # where the next command runs: in the project, at the repo's root
    jobs: dict[int, Job] = field(default_factory=dict)
    port: str = ""  # the free port that stands for the page's

    def command(self, text: str) -> str:
        """Return the command as run: the page's port replaced by the free one."""
        if not self.scenario.port:
            return text
        return re.sub(rf"(?<!\d){self.scenario.port}(?!\d)", self.port, text)

    def shown(self, output: str) -> str:
        """Return what a command printed as the page shows it: its folders, its port."""
        output = _shown(output, self.project, self.scenario.name)
        if self.scenario.port:
            output = re.sub(rf"(?<!\d){self.port}(?!\d)", self.scenario.port, output)
        return output

    def report(self) -> str:
        """Return what the running jobs printed, for a failure's message."""
        return "".join(f"\n-- {job.describe()} printed:\n{self.shown(job.text())}" for job in self.jobs.values())

    def check_jobs(self) -> None:
        """Fail for a job that ended by itself with an error; forget one that ended well, as bash does."""
        for number, job in list(self.jobs.items()):
            if job.ended():
                assert job.process.returncode == 0, (
                    f"{job.describe()} ended by itself with status {job.process.returncode}:\n{self.shown(job.text())}"
                )
                del self.jobs[number]

    def background(self, step: Command, command: str, where: Path, env: dict[str, str]) -> None:
        """Start ``command`` as a job; wait until it printed what the page shows below it."""
        number = max(self.jobs, default=0) + 1
        job = self.jobs[number] = Job.start(number, command, where, env)
        if step.expected:
            self.wait_for(job, step)

    def wait_for(self, job: Job, step: Command) -> None:
        pattern = _pattern(step.expected)
        deadline = time.monotonic() + TIMEOUT
        while True:
            ended = job.ended()
            rest = job.text()[job.shown :]
            match = pattern.match(self.shown(rest))
            if match is not None:
                job.shown += _after(rest, match.group().count("\n"))
                return
            assert not ended, (
                f"{step.block.where()}: {job.describe()} ended with status {job.process.returncode} before it "
                f"printed what the page shows:\n{self.shown(rest)}"
            )
            assert time.monotonic() < deadline, (
                f"{step.block.where()}: {job.describe()} has not printed what the page shows after {TIMEOUT} s:\n"
                f"{self.shown(rest)}"
            )
            time.sleep(0.05)

    def kill(self, step: Command, numbers: list[int]) -> None:
        """``kill %N``: SIGTERM to each job's process group; wait for it to end; compare what it printed since."""
        where = step.block.where()
        jobs, printed = [], ""
        for number in numbers:
            job = self.jobs.get(number)
            assert job is not None, f"{where}: `{step.text}`: there is no job %{number}"
            assert not job.ended(), (
                f"{where}: {job.describe()} ended with status {job.process.returncode} before `{step.text}`:\n"
                f"{self.shown(job.text())}"
            )
            os.killpg(job.process.pid, signal.SIGTERM)
            jobs.append(job)
        for job in jobs:
            try:
                status = job.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{where}: {job.describe()} still runs {TIMEOUT} s after SIGTERM") from None
            assert job.ended()
            rest = self.shown(job.text()[job.shown :])
            del self.jobs[job.number]
            job.stop()
            assert status in (0, -signal.SIGTERM), f"{where}: {job.describe()} exited with {status}:\n{rest}"
            printed += rest
        if step.expected:
            assert _matches(step.expected, printed), (
                f"{where}: after `{step.text}`, the jobs printed something else than the page shows:\n{printed}"
            )

    def close(self) -> None:
        for job in self.jobs.values():
            job.stop()


@pytest.fixture(scope="session")
def reader_venvs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the virtual environments of pages that name their plugins are made, once for the session."""
    return tmp_path_factory.mktemp("reader-venvs")


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=lambda scenario: scenario.id)
def test_the_page_works_when_copied(scenario: Scenario, tmp_path: Path, reader_venvs: Path) -> None:
    project = _build(scenario, tmp_path.resolve())
    env = reader_environment(scenario.plugins, reader_venvs)
    shell = Shell(scenario, project, env, {False: project, True: REPO}, port=str(free_port()))
    changed = scenario.origin is not None
    try:
        for step in scenario.steps:
            if isinstance(step, Block):
                _write(project, step)
                changed = True
                continue
            try:
                _run(shell, step)
            except AssertionError as exc:
                raise AssertionError(f"{exc}{shell.report()}") from None
            changed = False
        shell.check_jobs()
        if changed:
            assert (project / "config" / "spoc.toml").exists() or (project / "spoc.toml").exists(), (
                f"{scenario.id}: files are written after the last command, and nothing runs them: show a command"
            )
            run = run_command("python -m spoc check", project, shell.env, [])
            assert run.status == 0, f"{scenario.id}: `python -m spoc check` of the page's project failed:\n{run.output}"
    finally:
        shell.close()


def _run(shell: Shell, step: Command) -> None:
    """Run one command of a page as the reader's terminal would."""
    shell.check_jobs()
    repo = step.block.marker == "console: repo"
    where = shell.folders[repo]
    text = shell.command(_dry(step.text) if repo else step.text)
    if re.fullmatch(r"cd \S+", text):
        shell.folders[repo] = (where / text.split()[1]).resolve()
        assert shell.folders[repo].is_dir(), f"{step.block.where()}: `{text}`: no such folder"
        return
    if EXPORT.fullmatch(text):
        shell.env.update(assignment.split("=", 1) for assignment in shlex.split(text, comments=True)[1:])
        return
    if kill := KILL.fullmatch(text):
        shell.kill(step, [int(job) for job in re.findall(r"%(\d+)", kill["jobs"])])
        return
    variable = SHELL_VARIABLE.fullmatch(step.block.marker)
    env = {**shell.env, variable["name"]: variable["value"]} if variable else shell.env
    if background := BACKGROUND.fullmatch(text):
        shell.background(step, background["command"], where, env)
        return
    run = run_command(text, where, env, step.expected)
    output = shell.shown(run.output)
    dry = text != shell.command(step.text)  # a dry run prints something else than the command
    if REGENERATE and run.status == 0 and not dry:
        _regenerate(step, output)
    compared = bool(step.expected) and not dry
    if compared:
        assert _matches(step.expected, output), (
            f"{step.block.where()}: `{step.text}` printed something else than the page shows:\n{output}"
        )
    # A command may fail when the page shows what it prints (an error, the problems `check` finds).
    assert run.status == 0 or compared, f"{step.block.where()}: `{step.text}` exited with {run.status}:\n{output}"
