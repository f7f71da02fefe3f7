"""Making Otter's autograder zip deploy on Gradescope: its environment installs what the assignment imports.

``otter assign`` writes an environment.yml that installs Otter and the master's ``requirements:`` only. A notebook
that imports keras, or hidden tests that import ``autograder.checks``, then fail on Gradescope. ``complete_zip``
adds to the zip's pip requirements every distribution the master's code cells and tests import (at the version
installed where the build runs), and, when anything imports ``autograder``, a wheel of this package inside the
zip. Gradescope unpacks the zip into /autograder/source, so the wheel is installed from there.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

GRADESCOPE_SOURCE = "/autograder/source"  # where Gradescope unpacks the autograder zip
_IMPORT = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)", re.MULTILINE)
_NOT_INSTALLED = {"otter", "autograder"}  # Otter installs itself; this package comes as a wheel


def imported_modules(sources: Iterable[str]) -> list[str]:
    """Top-level modules that ``import`` lines in ``sources`` name, stdlib excluded, in first-seen order."""
    found: list[str] = []
    for source in sources:
        for plain, origin in _IMPORT.findall(source):
            for name in (plain.split(",") if plain else [origin]):
                top = name.strip().split(".")[0]
                if top and top not in sys.stdlib_module_names and top not in found:
                    found.append(top)
    return found


def requirements(modules: Iterable[str], warn: Callable[[str], None]) -> list[str]:
    """Pinned pip requirements for ``modules`` (by the distributions installed here)."""
    owners = importlib.metadata.packages_distributions()
    pinned: dict[str, str] = {}
    for module in modules:
        if module in _NOT_INSTALLED:
            continue
        distributions = owners.get(module)
        if not distributions:
            warn(f"the assignment imports {module}, which is not installed here, so the autograder zip does not "
                 "install it; list it in the master's `requirements:` file")
            continue
        for distribution in distributions:
            pinned.setdefault(distribution.lower(), f"{distribution}=={importlib.metadata.version(distribution)}")
    return sorted(pinned.values(), key=str.lower)


def complete_zip(archive: Path, sources: list[str], warn: Callable[[str], None], pin_python: bool = True) -> list[str]:
    """Add the requirements of ``sources`` (code of the master and its tests) to the zip's environment.yml, and
    this package's wheel when they import it; returns the pip lines added. ``pin_python``: the environment's
    Python becomes the one these versions were pinned on (unless the master's `python_version:` says)."""
    modules = imported_modules(sources)
    if "keras" in modules and not {"tensorflow", "torch", "jax"} & set(modules):
        modules.append("tensorflow")  # Keras 3 needs a backend; the one it runs on here
    wanted = requirements(modules, warn)
    wheel = package_wheel(warn) if "autograder" in modules else None
    with zipfile.ZipFile(archive) as bundle:
        entries = {info.filename: bundle.read(info) for info in bundle.infolist()}
    environment = yaml.safe_load(entries.get("environment.yml", b"{}")) or {}
    pip = _pip_section(environment)
    present = {_name(line) for line in pip if isinstance(line, str)}
    added = [line for line in wanted if _name(line) not in present]
    if wheel is not None:
        added.append(f"{GRADESCOPE_SOURCE}/{wheel.name}")
        entries[wheel.name] = wheel.read_bytes()
    if not added:
        return []
    pip.extend(added)
    if pin_python:
        here = f"python={sys.version_info.major}.{sys.version_info.minor}"
        environment["dependencies"] = [here if isinstance(item, str) and re.fullmatch(r"python\s*=.*", item) else item
                                       for item in environment["dependencies"]]
    entries["environment.yml"] = yaml.safe_dump(environment, sort_keys=False).encode()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return added


def _pip_section(environment: dict) -> list:
    dependencies = environment.setdefault("dependencies", [])
    for item in dependencies:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            return item["pip"]
    section: dict = {"pip": []}
    dependencies.append(section)
    return section["pip"]


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (``otter-grader[grading]==7.0.0`` -> ``otter-grader``)."""
    return re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def package_wheel(warn: Callable[[str], None]) -> Path | None:
    """A wheel of this package, built once per version of its source (kept in ~/.cache/autograder/wheels)."""
    package = Path(__file__).resolve().parent
    project = package.parent
    if not (project / "pyproject.toml").is_file():
        warn("the autograder package is not installed from its source, so the autograder zip has no wheel of it; "
             "add `autograder` to the master's `requirements:`")
        return None
    digest = hashlib.sha256((project / "pyproject.toml").read_bytes())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    cache = Path.home() / ".cache" / "autograder" / "wheels" / digest.hexdigest()[:16]
    built = sorted(cache.glob("autograder-*.whl"))
    if built:
        return built[0]
    with tempfile.TemporaryDirectory(prefix="autograder-wheel-") as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        shutil.copy(project / "pyproject.toml", source)
        if (project / "README.md").is_file():
            shutil.copy(project / "README.md", source)
        shutil.copytree(package, source / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                               "-w", str(Path(tmp) / "wheel"), str(source)], capture_output=True, text=True)
        wheels = sorted((Path(tmp) / "wheel").glob("autograder-*.whl"))
        if done.returncode != 0 or not wheels:
            warn("could not build a wheel of the autograder package for the autograder zip "
                 f"({(done.stderr or done.stdout).strip().splitlines()[-1:] or 'no wheel'}); install it on "
                 "Gradescope by hand")
            return None
        cache.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(wheels[0], cache / wheels[0].name))
