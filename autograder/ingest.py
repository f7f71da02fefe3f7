"""Turning what a tutor hands us (notebooks, folders, zips) into submissions, one per student."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_ENTRY_BYTES = 256 * 1024 * 1024
_SKIP_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


class IngestError(Exception):
    """A path that cannot be read as submissions; the message names it."""


@dataclass
class Submission:
    student: str
    name: str  # where it came from, for people: "class.zip:alice.ipynb"
    data: bytes
    modified: float = 0.0

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def collect_submissions(paths: list[Path]) -> tuple[list[Submission], list[str]]:
    """Every submission under ``paths``, one per student (the newest), and warnings for the tutor."""
    found: list[Submission] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise IngestError(f"no such file or folder: {path}")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not _SKIP_PARTS & set(child.parts) and child.suffix in (".ipynb", ".zip"):
                    found += _from_file(child)
        else:
            found += _from_file(path)
    return _one_per_student(found)


def _from_file(path: Path) -> list[Submission]:
    if path.suffix.lower() == ".zip":
        return _from_zip(path)
    try:
        return [Submission(path.stem, str(path), path.read_bytes(), path.stat().st_mtime)]
    except OSError as error:
        raise IngestError(f"cannot read {path}: {error.strerror}") from None


def _from_zip(path: Path) -> list[Submission]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise IngestError(f"{path} is not a readable zip file ({error})") from None
    submissions = []
    with archive:
        for entry in archive.infolist():
            inner = PurePosixPath(entry.filename)
            if entry.is_dir() or inner.suffix != ".ipynb" or _SKIP_PARTS & set(inner.parts):
                continue
            if entry.file_size > MAX_ENTRY_BYTES:
                raise IngestError(f"{path}:{entry.filename} is larger than {MAX_ENTRY_BYTES >> 20} MiB")
            try:
                data = archive.read(entry)
            except (zipfile.BadZipFile, OSError, RuntimeError) as error:
                raise IngestError(f"cannot read {entry.filename} in {path}: {error}") from None
            stamp = _zip_time(entry)
            submissions.append(Submission(inner.stem, f"{path}:{entry.filename}", data, stamp))
    return submissions


def _zip_time(entry: zipfile.ZipInfo) -> float:
    import datetime

    try:
        return datetime.datetime(*entry.date_time).timestamp()
    except ValueError:
        return 0.0


def _one_per_student(found: list[Submission]) -> tuple[list[Submission], list[str]]:
    latest: dict[str, Submission] = {}
    warnings = []
    for submission in found:
        kept = latest.get(submission.student)
        if kept is None or submission.modified > kept.modified:
            if kept is not None:
                warnings.append(f"{submission.student}: using {submission.name}, the newer of "
                                f"{kept.name} and {submission.name}")
            latest[submission.student] = submission
        else:
            warnings.append(f"{submission.student}: using {kept.name}, the newer of {kept.name} and "
                            f"{submission.name}")
    return sorted(latest.values(), key=lambda s: s.student), warnings
