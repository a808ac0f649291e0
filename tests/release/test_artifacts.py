"""The Python consumer's package: pyproject.toml reads the one version and requirements, and the built
artefacts hold what `import components` needs (release/artifacts.py).

The sdist is built here, offline, with the venv's own setuptools. The wheel needs a newer setuptools than
the venv's (bdist_wheel is built in from 70.1; pyproject's build-system asks for it), which only build
isolation downloads: the release workflow builds it (`python -m build`) and checks it with
`python -m release artifacts dist`; here the same check runs on a wheel laid out as setuptools lays it out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from access.version import VERSION
from release.artifacts import (
    DISTRIBUTION,
    PACKAGE_DATA,
    artifact_problems,
    expected_files,
    requirements,
    sdist_problems,
    wheel_problems,
)

ROOT = Path(__file__).resolve().parents[2]
LOADED_BY_THE_COMPONENTS = "import json, sys, components; components.EncryptedTable; print(json.dumps([*sys.modules]))"
BUILD_SDIST = "from setuptools import build_meta; print(build_meta.build_sdist('dist'))"


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist built from a copy of what it is made of (a build writes egg-info beside pyproject.toml)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in ("access", "components"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    built = subprocess.run(
        [sys.executable, "-c", BUILD_SDIST], cwd=source, capture_output=True, text=True, check=True, timeout=120
    )
    return source / "dist" / built.stdout.strip().splitlines()[-1]


def wheel_like_setuptools(dist: Path, files: set[str], version: str, requires: list[str]) -> Path:
    wheel = dist / f"{DISTRIBUTION}-{version}-py3-none-any.whl"
    info = f"{DISTRIBUTION}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.4\nName: encrypted-dynamodb\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in sorted(files):
            archive.writestr(name, (ROOT / name).read_bytes() if (ROOT / name).exists() else b"")
        archive.writestr(f"{info}/METADATA", metadata)
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\n")
    return wheel


def test_pyproject_reads_the_one_version_and_the_component_requirements() -> None:
    from setuptools.config.pyprojecttoml import read_configuration

    with warnings.catch_warnings():
        # The venv's setuptools (65) calls dependencies from a file beta; the release builds with >= 70.1.
        warnings.simplefilter("ignore")
        project = read_configuration(ROOT / "pyproject.toml", expand=True)["project"]
    assert project["version"] == VERSION
    assert project["dependencies"] == requirements(ROOT)
    assert requirements(ROOT) == ["pulumi>=3.200,<4", "pulumi-aws>=7.51,<8"]


def test_the_consumer_gets_every_module_of_the_components_and_the_access_core() -> None:
    wanted = expected_files(ROOT)
    assert {"components/encrypted_table.py", "access/version.py", *PACKAGE_DATA} <= wanted
    # What the components import at run time is inside: no module of theirs reaches another project package.
    imported = subprocess.run(
        [sys.executable, "-c", LOADED_BY_THE_COMPONENTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = {m.split(".")[0] for m in json.loads(imported.stdout.strip().splitlines()[-1])}
    ours = loaded & {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert ours == {"access", "components"}


def test_the_sdist_holds_the_packages_their_data_and_the_version(sdist: Path) -> None:
    assert sdist.name.endswith(f"-{VERSION}.tar.gz")
    assert sdist_problems(sdist, ROOT, VERSION) == []
    assert artifact_problems(sdist.parent, ROOT, VERSION) == [
        f"{sdist.parent}: 0 wheels of {VERSION} ({DISTRIBUTION}-{VERSION}-*.whl), expected one"
    ]


def test_the_sdist_check_names_a_wrong_version(sdist: Path) -> None:
    assert sdist_problems(sdist, ROOT, "9.9.9") == [f"{sdist.name}: Version '{VERSION}', expected '9.9.9'"]


def test_a_wheel_laid_out_as_setuptools_does_passes_and_each_fault_is_named(tmp_path: Path) -> None:
    files, requires = expected_files(ROOT), requirements(ROOT)
    good = wheel_like_setuptools(tmp_path, files, VERSION, requires)
    assert wheel_problems(good, ROOT, VERSION) == []

    (tmp_path / "missing").mkdir()
    missing = wheel_like_setuptools(tmp_path / "missing", files - {"components/PulumiPlugin.yaml"}, VERSION, requires)
    assert wheel_problems(missing, ROOT, VERSION) == [f"{missing.name}: missing components/PulumiPlugin.yaml"]

    (tmp_path / "extra").mkdir()
    extra = wheel_like_setuptools(tmp_path / "extra", files | {"tests/__init__.py"}, VERSION, requires)
    assert wheel_problems(extra, ROOT, VERSION) == [f"{extra.name}: holds top-level tests besides components, access"]

    (tmp_path / "requires").mkdir()
    loose = wheel_like_setuptools(tmp_path / "requires", files, VERSION, ["pulumi>=3.200,<4"])
    (problem,) = wheel_problems(loose, ROOT, VERSION)
    assert problem.startswith(f"{loose.name}: Requires-Dist ['pulumi<4,>=3.200'], expected those of")


def test_requirements_compare_as_pip_reads_them(tmp_path: Path) -> None:
    """setuptools writes "pulumi<4,>=3.200" for "pulumi>=3.200,<4": the same requirement."""
    reordered = ["pulumi<4,>=3.200", "pulumi_aws<8,>=7.51"]
    wheel = wheel_like_setuptools(tmp_path, expected_files(ROOT), VERSION, reordered)
    assert wheel_problems(wheel, ROOT, VERSION) == []
