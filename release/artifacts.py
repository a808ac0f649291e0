"""Do the built wheel and sdist hold what a Python consumer imports, at the project's version?

`python -m build` writes them (the release workflow); the check reads them, never builds. What they must
hold comes from the source tree: every module of the packages pyproject.toml lists, the component
package's manifest and requirements (its package data), and, in the metadata, the version and the
requirements of components/requirements.txt.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

DISTRIBUTION = "encrypted_dynamodb"  # "encrypted-dynamodb" normalised for file names (PEP 427, PEP 625)
PACKAGES = ("components", "access")
PACKAGE_DATA = ("components/PulumiPlugin.yaml", "components/requirements.txt")
REQUIREMENTS = "components/requirements.txt"
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)\s*(?P<specifiers>.*)$")


def expected_files(root: Path) -> set[str]:
    """The files a consumer needs, relative to the distribution's root: the packages' modules and data."""
    modules = {str(p.relative_to(root)) for package in PACKAGES for p in (root / package).glob("*.py")}
    return modules | set(PACKAGE_DATA)


def requirements(root: Path) -> list[str]:
    """components/requirements.txt without comments and blank lines: the distribution's Requires-Dist."""
    lines = (line.split("#", 1)[0].strip() for line in (root / REQUIREMENTS).read_text().splitlines())
    return [line for line in lines if line]


def _normalised(requirement: str) -> str:
    """A requirement with its specifiers sorted and spaces dropped ("pulumi>=3.200,<4" == "pulumi<4,>=3.200")."""
    match = _REQUIREMENT.match(requirement.strip())
    if match is None:
        return requirement.strip()
    canonical = re.sub(r"[-_.]+", "-", match["name"]).lower()  # PEP 503 name normalisation
    return canonical + ",".join(sorted(s.strip() for s in match["specifiers"].split(",") if s.strip()))


def metadata_problems(where: str, metadata: str, version: str, wanted: list[str] | None) -> list[str]:
    """The Version of a METADATA / PKG-INFO file, and its Requires-Dist unless `wanted` is None."""
    headers = HeaderParser().parsestr(metadata)
    found = []
    if headers.get("Version") != version:
        found.append(f"{where}: Version {headers.get('Version')!r}, expected {version!r}")
    if wanted is None:
        return found
    declared = sorted(_normalised(r) for r in headers.get_all("Requires-Dist") or [])
    if declared != sorted(_normalised(r) for r in wanted):
        found.append(f"{where}: Requires-Dist {declared}, expected those of {REQUIREMENTS}: {wanted}")
    return found


def wheel_problems(wheel: Path, root: Path, version: str) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"{DISTRIBUTION}-{version}.dist-info"
        metadata = f"{dist_info}/METADATA"
        if metadata not in names:
            return [f"{wheel.name}: no {metadata}"]
        found = metadata_problems(wheel.name, archive.read(metadata).decode(), version, requirements(root))
    missing = sorted(expected_files(root) - names)
    if missing:
        found.append(f"{wheel.name}: missing {', '.join(missing)}")
    extra = sorted({n.split("/", 1)[0] for n in names} - {*PACKAGES, dist_info})
    if extra:
        found.append(f"{wheel.name}: holds top-level {', '.join(extra)} besides {', '.join(PACKAGES)}")
    return found


def sdist_problems(sdist: Path, root: Path, version: str) -> list[str]:
    with tarfile.open(sdist) as archive:
        names = {m.name for m in archive.getmembers()}
        top = sdist.name.removesuffix(".tar.gz")
        info = archive.extractfile(f"{top}/PKG-INFO") if f"{top}/PKG-INFO" in names else None
        if info is None:
            return [f"{sdist.name}: no {top}/PKG-INFO"]
        # The requirements are the wheel's to carry: an sdist is built into a wheel on install, and older
        # setuptools leave Requires-Dist out of an sdist's PKG-INFO (requires.txt holds them).
        found = metadata_problems(sdist.name, info.read().decode(), version, None)
    missing = sorted(f for f in expected_files(root) | {"pyproject.toml"} if f"{top}/{f}" not in names)
    if missing:
        found.append(f"{sdist.name}: missing {', '.join(missing)}")
    return found


def artifact_problems(dist: Path, root: Path, version: str) -> list[str]:
    """The wheel and the sdist of `version` in `dist`, checked against the source tree at `root`."""
    wheels = sorted(dist.glob(f"{DISTRIBUTION}-{version}-*.whl"))
    # setuptools names the sdist by the normalised name since 69.3 (PEP 625), by the project name before.
    sdists = sorted(
        {*dist.glob(f"{DISTRIBUTION}-{version}.tar.gz"), *dist.glob(f"encrypted-dynamodb-{version}.tar.gz")}
    )
    found = []
    if len(wheels) != 1:
        found.append(f"{dist}: {len(wheels)} wheels of {version} ({DISTRIBUTION}-{version}-*.whl), expected one")
    if len(sdists) != 1:
        found.append(f"{dist}: {len(sdists)} sdists of {version} ({DISTRIBUTION}-{version}.tar.gz), expected one")
    for wheel in wheels[:1]:
        found += wheel_problems(wheel, root, version)
    for sdist in sdists[:1]:
        found += sdist_problems(sdist, root, version)
    return found
