"""Turning what a tutor hands us (notebooks, folders, zips, LMS downloads) into submissions, one per student.

The student is whoever the LMS's naming says it is:
  Canvas      doejane_LATE_12345_6789012_temperature-1.ipynb   name, late mark, user id, attachment id, own name
  Moodle      Jane Doe_4711_assignsubmission_file_/hw.ipynb     full name, participant id, plugin
  Gradescope  submission_metadata.yml beside submission_123456789/ folders
  plain       alice.ipynb                                      the file stem
A zip counts as a folder of its name, so a student's zip inside an LMS download keeps the LMS's naming.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

MAX_ENTRY_BYTES = 256 * 1024 * 1024
GRADESCOPE_METADATA = "submission_metadata.yml"
_JUNK_FOLDERS = {"__MACOSX"}  # and every hidden name: .DS_Store, ._hw.ipynb, .ipynb_checkpoints
_ZIP_UTF8_FLAG = 0x800
_MOODLE_NAME = re.compile(r"(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<own_name>.*)")
_CANVAS_NAME = re.compile(r"(?P<name>.+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<attachment>\d+)_(?P<own_name>.+)")
_CANVAS_RESUBMISSION = re.compile(r"-\d+$")  # Canvas renames a second "hw.ipynb" of a student "hw-1.ipynb"


class IngestError(Exception):
    """A path that cannot be read as submissions; the message names it."""


@dataclass
class Submission:
    student: str  # the LMS's id (Canvas user, Moodle participant, Gradescope SID), else the notebook's stem
    name: str  # where it came from, for people: "class.zip:Jane Doe_4711_assignsubmission_file_/hw.ipynb"
    data: bytes
    modified: float = 0.0  # file or zip-entry time, epoch seconds
    display_name: str = ""  # the person's name where the LMS gives one
    submitted_at: float | None = None  # epoch seconds, only where the LMS records it (Gradescope)
    late: bool | None = None  # whether the LMS marked it late (Canvas); None where the format does not say

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def collect_submissions(paths: list[Path], assignment: str | None = None) -> tuple[list[Submission], list[str]]:
    """Every submission under ``paths``, one per student, and warnings for the tutor.

    Of several notebooks of one student we keep one named like ``assignment`` (when given), else the latest
    in the format's own order, else the largest, and say which ones we dropped.
    """
    candidates: list[_Candidate] = []
    warnings: list[str] = []
    for path in map(Path, paths):
        candidates += _candidates(_entries_of(path, warnings), warnings, assignment)
    return _one_per_student(candidates, assignment, warnings), warnings


@dataclass
class _Entry:
    """One file of a folder or zip, as if everything were unpacked into one tree."""

    path: PurePosixPath  # NFC, relative to what the tutor named; a zip inside is a folder of its own name
    origin: str  # for people
    modified: float
    data: bytes | None  # read only for notebooks and Gradescope metadata

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix.lower() == ".ipynb"


@dataclass(frozen=True)
class _Identity:
    student: str
    display_name: str = ""
    submitted_at: float | None = None
    late: bool | None = None
    attempt: float = 0.0  # the format's own order of attempts (Canvas attachment ids grow)


@dataclass
class _Candidate:
    submission: Submission
    file_name: str  # the notebook's file name, LMS decorations included
    recency: tuple[float, float, float]  # larger is later: LMS time, LMS attempt order, file time


# --- reading folders and zips ------------------------------------------------------------------------------


def _entries_of(path: Path, warnings: list[str]) -> list[_Entry]:
    if not path.exists():
        raise IngestError(f"no such file or folder: {path}")
    if not path.is_dir():
        return _file_entries(path, PurePosixPath(), warnings)
    entries = []
    for child in sorted(path.rglob("*")):
        relative = PurePosixPath(_nfc(child.relative_to(path).as_posix()))
        if child.is_file() and not _is_junk(relative):
            entries += _file_entries(child, relative, warnings)
    return entries


def _file_entries(file: Path, relative: PurePosixPath, warnings: list[str]) -> list[_Entry]:
    """``relative`` is empty for a file the tutor named: then only its own name counts."""
    if file.suffix.lower() == ".zip":
        return _zip_entries(file, _nfc(str(file)), relative, warnings, may_nest=True)
    relative = relative if relative.parts else PurePosixPath(_nfc(file.name))
    try:
        stat = file.stat()
        if not _worth_reading(relative):
            return [_Entry(relative, _nfc(str(file)), stat.st_mtime, None)]
        if stat.st_size > MAX_ENTRY_BYTES:
            raise IngestError(f"{file} is larger than {MAX_ENTRY_BYTES >> 20} MiB; is it really a notebook?")
        return [_Entry(relative, _nfc(str(file)), stat.st_mtime, file.read_bytes())]
    except OSError as error:
        raise IngestError(f"cannot read {file}: {error.strerror}") from None


def _zip_entries(source: Path | bytes, origin: str, prefix: PurePosixPath, warnings: list[str],
                 may_nest: bool) -> list[_Entry]:
    try:
        archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
    except (zipfile.BadZipFile, OSError) as error:
        raise IngestError(f"{origin} is not a readable zip file ({error})") from None
    entries = []
    with archive:
        for info in archive.infolist():
            inner = PurePosixPath(_entry_name(info))
            if info.is_dir() or _is_junk(inner):
                continue
            path, label = prefix / inner, f"{origin}:{inner}"
            if may_nest and inner.suffix.lower() == ".zip":  # some LMSs nest, and students upload zips
                try:
                    entries += _zip_entries(_read_entry(archive, info, label), label, path, warnings, may_nest=False)
                except IngestError as error:  # one student's broken zip must not stop the class
                    warnings.append(f"{error}; skipped it")
                continue
            data = _read_entry(archive, info, label) if _worth_reading(inner) else None
            entries.append(_Entry(path, label, _zip_time(info), data))
    return entries


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & _ZIP_UTF8_FLAG:
        # zipfile reads unflagged names as cp437, but macOS and Linux zip tools write UTF-8 without the flag
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass  # it really was cp437 (old Windows tools)
    return _nfc(name.replace("\\", "/"))  # macOS stores NFD; some Windows tools use backslashes


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    if info.file_size > MAX_ENTRY_BYTES:
        raise IngestError(f"{label} is larger than {MAX_ENTRY_BYTES >> 20} MiB; is it really a notebook?")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, zlib.error) as error:
        raise IngestError(f"cannot read {label}: {error}") from None


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime.datetime(*info.date_time).timestamp()
    except ValueError:  # zip tools write 0000-00-00 for "unknown"
        return 0.0


def _is_junk(path: PurePosixPath) -> bool:
    return any(part.startswith(".") or part in _JUNK_FOLDERS for part in path.parts)


def _worth_reading(path: PurePosixPath) -> bool:
    return path.suffix.lower() == ".ipynb" or path.name == GRADESCOPE_METADATA


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- who handed it in ----------------------------------------------------------------------------------------


def _candidates(entries: list[_Entry], warnings: list[str], assignment: str | None = None) -> list[_Candidate]:
    gradescope = _gradescope_metadata(entries)
    candidates, other_files = [], {}
    for entry in entries:
        identities = _lms_identities(entry, gradescope)
        if not entry.is_notebook:  # remembered to tell the tutor about LMS students who handed in no notebook
            for identity in identities or []:
                other_files.setdefault(identity.student, (identity, entry.origin))
            continue
        for identity in [_plain_identity(entry.path, assignment)] if identities is None else identities:
            submission = Submission(identity.student, entry.origin, entry.data or b"", entry.modified,
                                    identity.display_name, identity.submitted_at, identity.late)
            recency = (identity.submitted_at or 0.0, identity.attempt, entry.modified)
            candidates.append(_Candidate(submission, entry.path.name, recency))
    with_notebook = {candidate.submission.student for candidate in candidates}
    for student, (identity, origin) in other_files.items():
        if student not in with_notebook:
            warnings.append(f"{_who(student, identity.display_name)}: no notebook handed in, only files like {origin}")
    return candidates


def _plain_identity(path: PurePosixPath, assignment: str | None) -> _Identity:
    """The file's stem; but ``alice/temperature.ipynb`` (every student's file named like the assignment)
    is alice's."""
    named_like_assignment = assignment is not None and path.stem.casefold() == assignment.casefold()
    if named_like_assignment and path.parent.name:
        return _Identity(path.parent.name)
    return _Identity(path.stem)


def _lms_identities(entry: _Entry, gradescope: dict[PurePosixPath, dict]) -> list[_Identity] | None:
    """Who handed ``entry`` in by the LMS's naming; [] for LMS files that are no submission, None for no LMS."""
    identities = _gradescope_identities(entry.path, gradescope)
    if identities is not None:
        return identities
    for part in entry.path.parts:
        if moodle := _MOODLE_NAME.fullmatch(part):  # the online-text plugin holds typed text, never notebooks
            return [_Identity(moodle["id"], moodle["name"].strip())] if moodle["plugin"] == "file" else []
    for part in reversed(entry.path.parts):
        if canvas := _CANVAS_NAME.fullmatch(part):
            return [_Identity(canvas["id"], canvas["name"].strip(), late=bool(canvas["late"]),
                              attempt=float(canvas["attachment"]))]
    return None


def _gradescope_metadata(entries: list[_Entry]) -> dict[PurePosixPath, dict]:
    """Each metadata file's folder, and its mapping from submission folder names to their metadata."""
    found = {}
    for entry in entries:
        if entry.path.name != GRADESCOPE_METADATA or entry.data is None:
            continue
        try:
            metadata = yaml.load(entry.data, Loader=_RubyTolerantLoader)
        except yaml.YAMLError as error:
            mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None) or error
            raise IngestError(f"{entry.origin} is not readable Gradescope metadata: {problem}"
                              + (f" (line {mark.line + 1})" if mark else "")) from None
        if isinstance(metadata, dict):
            found[entry.path.parent] = {str(folder): record for folder, record in metadata.items()}
    return found


def _gradescope_identities(path: PurePosixPath, gradescope: dict[PurePosixPath, dict]) -> list[_Identity] | None:
    for folder in path.parents:
        if folder not in gradescope:
            continue
        submission_folder = path.relative_to(folder).parts[0]
        record = gradescope[folder].get(submission_folder)
        if not isinstance(record, dict):
            return None
        submitted_at = _epoch(_field(record, "created_at"))
        submitters = [s for s in _field(record, "submitters") or [] if isinstance(s, dict)] or [{}]
        # a group submission counts for each member
        return [_Identity(_text(_field(s, "sid")) or _text(_field(s, "email")) or submission_folder,
                          _text(_field(s, "name")), submitted_at) for s in submitters]
    return None


class _RubyTolerantLoader(yaml.SafeLoader):
    """Safe YAML that reads Ruby's tagged values (``!ruby/object:BigDecimal 18:0.1E2``) as plain data."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_RubyTolerantLoader.add_multi_constructor("!", _untagged)


def _field(record: dict, key: str):
    """Gradescope writes Ruby symbols (``:sid:``), which YAML reads as keys with a leading colon."""
    return record.get(f":{key}", record.get(key))


def _text(value) -> str:
    return "" if value is None else _nfc(str(value).strip())


def _epoch(value) -> float | None:
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime.datetime):
        return None
    if value.tzinfo is None:  # YAML's rule for timestamps without a zone
        value = value.replace(tzinfo=datetime.UTC)
    return value.timestamp()


# --- one per student -----------------------------------------------------------------------------------------


def _one_per_student(candidates: list[_Candidate], assignment: str | None, warnings: list[str]) -> list[Submission]:
    by_student: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_student.setdefault(candidate.submission.student, []).append(candidate)
    kept = []
    for student, group in sorted(by_student.items()):
        best = max(group, key=lambda c: (_named_like(c, assignment), c.recency, len(c.submission.data)))
        kept.append(best.submission)
        for other in group:
            if other is not best:
                warnings.append(f"{_who(student, best.submission.display_name)}: graded {best.submission.name}, "
                                f"dropped {other.submission.name} ({_why_better(best, other, assignment)})")
    return kept


def _why_better(best: _Candidate, other: _Candidate, assignment: str | None) -> str:
    if _named_like(best, assignment) != _named_like(other, assignment):
        return f"the graded one is named like the assignment {assignment}"
    if best.recency != other.recency:
        return "the graded one is newer"
    if len(best.submission.data) != len(other.submission.data):
        return "the graded one is larger"
    return "same time and size; graded the first"


def _named_like(candidate: _Candidate, assignment: str | None) -> bool:
    if not assignment:
        return False
    return _own_stem(candidate.file_name).casefold() == _nfc(assignment).removesuffix(".ipynb").casefold()


def _own_stem(file_name: str) -> str:
    """The notebook's name as the student saved it, without what Moodle or Canvas added."""
    if moodle := _MOODLE_NAME.fullmatch(file_name):
        return PurePosixPath(moodle["own_name"]).stem
    if canvas := _CANVAS_NAME.fullmatch(file_name):
        return _CANVAS_RESUBMISSION.sub("", PurePosixPath(canvas["own_name"]).stem)
    return PurePosixPath(file_name).stem


def _who(student: str, display_name: str) -> str:
    return f"{student} ({display_name})" if display_name and display_name != student else student
