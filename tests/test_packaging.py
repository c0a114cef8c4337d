"""What a regular ``pip install`` gets: every module of each package is in its wheel and sdist.

The distributions are built the way pip and ``python -m build`` build them: the
sdist first, then the wheel from the unpacked sdist, so a file the sdist drops
is missing from the wheel too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = {
    "spoc": (ROOT, "spoc"),
    "spoc-timing": (ROOT / "plugins" / "spoc-timing", "spoc_timing"),
    "spoc-logging": (ROOT / "plugins" / "spoc-logging", "spoc_logging"),
}


def package_files(folder: Path, package: str) -> set[str]:
    """Return the importable files of ``package`` in the source tree, relative to ``folder``."""
    return {
        path.relative_to(folder).as_posix()
        for path in (folder / package).rglob("*")
        if path.suffix in {".py", ".typed"} and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Build the sdist and wheel of each distribution once: ``{name: (sdist, wheel)}``."""
    out: dict[str, tuple[Path, Path]] = {}
    leftovers = shutil.ignore_patterns("*.egg-info", "build", "dist", "__pycache__", ".*")
    for name, (folder, _package) in PROJECTS.items():
        # A copy without build leftovers: a stale *.egg-info/SOURCES.txt would add
        # files to the sdist that the package configuration leaves out.
        source = tmp_path_factory.mktemp(f"src-{name}") / name
        shutil.copytree(folder, source, ignore=leftovers)
        dist = tmp_path_factory.mktemp(f"dist-{name}")
        result = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (sdist,) = dist.glob("*.tar.gz")
        (wheel,) = dist.glob("*.whl")
        out[name] = (sdist, wheel)
    return out


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_the_wheel_holds_every_module_of_the_source_tree(name: str, built: dict[str, tuple[Path, Path]]) -> None:
    folder, package = PROJECTS[name]
    expected = package_files(folder, package)
    with zipfile.ZipFile(built[name][1]) as wheel:
        shipped = {entry for entry in wheel.namelist() if entry.startswith(f"{package}/")}
    assert expected, f"no source files found under {folder / package}"
    assert sorted(expected - shipped) == [], f"{built[name][1].name} lacks these modules of the source tree"


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_the_sdist_holds_every_module_of_the_source_tree(name: str, built: dict[str, tuple[Path, Path]]) -> None:
    folder, package = PROJECTS[name]
    sdist = built[name][0]
    prefix = sdist.name.removesuffix(".tar.gz") + "/"
    with tarfile.open(sdist) as archive:
        shipped = {member.name.removeprefix(prefix) for member in archive.getmembers()}
    assert sorted(package_files(folder, package) - shipped) == [], f"{sdist.name} lacks these modules"
