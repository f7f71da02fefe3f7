"""Turning what a tutor hands us (notebooks, folders, zips, LMS downloads) into submissions, one per student.

Who a submission belongs to comes from the LMS, never from the student. Each path the tutor names is a source:
a notebook named directly is the student its name says (a Canvas or Moodle name, else its stem); a folder or a
zip is a container, and only its root, its top-level entries, says whose each upload is:
  Canvas      doejane_LATE_12345_6789012_temperature-1.ipynb   name, late mark (unread), user, attachment id, own name
              doejane_12345_6789012_project.zip                a student's zip: all of it is theirs
  Moodle      Jane Doe_4711_assignsubmission_file_/hw.ipynb     full name, participant id, plugin
              Jane Doe_4711_assignsubmission_file_hw.ipynb      the flat download
  Gradescope  submission_metadata.yml beside submission_123456789/ folders, both at the root
  plain       alice.ipynb, alice/, alice.zip                   the entry's own name
Every top-level entry is one upload, and everything inside an upload is its student's content, whatever its
names: a notebook named like someone else, a submission_metadata.yml, a zip holding a download. A zip whose
only top-level entry is a folder (zipping a folder, or Gradescope's assignment_1_export/) is read from inside
that folder, once; a folder the tutor names is read as it is. A folder holding two or more zips and nothing else,
each of them with an LMS root (Gradescope's metadata, or only Canvas and Moodle names), is a folder of downloads,
read zip by zip; any other folder of zips is a plain class, so one student's zip cannot make itself a download.

The order of one student's attempts is the LMS's: Gradescope's created_at, Canvas's attachment ids, else the
order the tutor names the paths (the later is newer); times inside uploads are the student's to set, and order
nothing. Of several notebooks of one student we grade the one named like the assignment, else the latest, else
the largest, else the first by name, and the tutor's notes name the others.

Every upload may be hostile: links are never followed, zips are read a chunk at a time up to hard limits (the
MAX_* constants of ``reading``, whatever a zip's headers claim), and an entry that cannot be read costs only its student
a warning. Only the tutor's own paths and an LMS's root metadata stop the ingest with IngestError.
"""

from __future__ import annotations

import hashlib
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from autograder.ingest import reading
from autograder.ingest.listing import IngestError, Node, disk_children, is_junk, nfc, printable, zip_tree
from autograder.ingest.lms import (
    GRADESCOPE_METADATA,
    Identity,
    claimed,
    gradescope_metadata,
    identities_by_name,
    lms_name,
    own_stem,
)
from autograder.ingest.reading import Refused, open_zip, read_notebook

__all__ = ["GRADESCOPE_METADATA", "IngestError", "Submission", "collect_submissions"]

_NOTES_PER_UPLOAD = 10  # warnings about one upload before the rest are only counted


@dataclass
class Submission:
    student: str  # the LMS's id (Canvas user, Moodle participant, Gradescope SID), else the upload's name
    name: str  # where it came from, for people: "class.zip:Jane Doe_4711_assignsubmission_file_/hw.ipynb"
    data: bytes
    modified: float = 0.0  # file or zip-entry time, epoch seconds: for people only, the student can set it
    display_name: str = ""  # the person's name where the LMS gives one
    submitted_at: float | None = None  # epoch seconds, only where the LMS records it (Gradescope)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def collect_submissions(paths: list[Path], assignment: str | None = None) -> tuple[list[Submission], list[str]]:
    """Every submission under ``paths``, one per student, and warnings for the tutor."""
    run = Run(assignment)
    for order, path in enumerate(map(Path, paths)):
        with ExitStack() as open_files:
            _read_source(path, order, run, open_files)
    return _one_per_student(run), run.warnings


@dataclass(frozen=True)
class _Candidate:
    """A notebook one student handed in; only the one that is winning keeps its bytes."""

    identity: Identity
    origin: str
    file_name: str  # the notebook's file name, LMS decorations included
    named_like: bool
    recency: tuple[float, float, int]  # larger is later: LMS time, LMS attempt order, the tutor's order of paths
    size: int  # bytes read; -1 where it lost on its name before being read
    order: int  # the order we met it: the first by name wins a tie
    modified: float
    data: bytes | None

    @property
    def rank(self) -> tuple:
        return self.named_like, self.recency, self.size, -self.order


@dataclass
class Run:
    """One collect_submissions: what each student handed in, what was read, and the tutor's notes."""

    assignment: str | None
    warnings: list[str] = field(default_factory=list)
    handed_in: dict[str, list[_Candidate]] = field(default_factory=dict)
    without_notebook: dict[str, str] = field(default_factory=dict)  # student: the warning, unless they have one
    read_in_all: int = 0
    read_by_student: dict[str, int] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # uploads left once MAX_BATCH_BYTES was read
    met: int = 0

    def warn(self, text: str) -> None:
        self.warnings.append(printable(text))


# --- sources: what the tutor names ---------------------------------------------------------------------------


def _read_source(path: Path, order: int, run: Run, open_files: ExitStack) -> None:
    if not path.exists():
        raise IngestError(f"no such file or folder: {path}")
    origin = printable(nfc(str(path)))
    if path.is_dir():
        root = disk_children(path, origin, limit=None)
        downloads = _downloads_in(root, run, open_files)
        if downloads is None:
            _read_root(root, order, run)
        for download in downloads or []:
            _read_root(_unwrapped(download), order, run)
    elif path.suffix.lower() == ".zip":
        try:
            archive = open_files.enter_context(zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError) as error:
            raise IngestError(f"{origin} is not a readable zip file ({error})") from None
        _read_root(_unwrapped(zip_tree(archive, origin, limit=None)[0]), order, run)
    elif path.suffix.lower() == ".ipynb":
        node = Node(nfc(path.name), origin, "file", path.stat().st_mtime, path=path)
        identities = identities_by_name(node) or [Identity(printable(PurePosixPath(node.name).stem))]
        _read_upload(node, identities, order, run, trusted=True)
    else:
        run.warn(f"{origin} is no notebook, zip or folder; skipped it")


def _downloads_in(root: list[Node], run: Run, open_files: ExitStack) -> list[list[Node]] | None:
    """The roots of a folder's zips if they are LMS downloads (see the module's notes), else None."""
    entries = [node for node in root if not is_junk(node.name)]
    if len(entries) < 2 or any(node.kind != "file" or node.suffix != ".zip" for node in entries):
        return None
    roots = []
    for node in entries:
        try:
            archive = open_files.enter_context(open_zip(node, run, open_files, students=[]))
        except Refused:
            return None
        roots.append(zip_tree(archive, node.origin, reading.MAX_STUDENT_ENTRIES)[0])
        if not _is_lms_root(_unwrapped(roots[-1])):
            return None
    return roots


def _unwrapped(root: list[Node]) -> list[Node]:
    """A zip of a folder is that folder's contents (once), unless the folder is an LMS upload itself."""
    entries = [node for node in root if not is_junk(node.name)]
    if len(entries) == 1 and entries[0].kind == "folder" and not lms_name(entries[0].name):
        return entries[0].children
    return root


def _is_lms_root(root: list[Node]) -> bool:
    entries = [node for node in root if not is_junk(node.name)]
    if any(node.name == GRADESCOPE_METADATA and node.kind == "file" for node in entries):
        return True
    return bool(entries) and all(lms_name(node.name) for node in entries)


# --- roots: whose each upload is -----------------------------------------------------------------------------


def _read_root(root: list[Node], order: int, run: Run) -> None:
    gradescope = gradescope_metadata(root)
    for node in root:
        if is_junk(node.name) or (gradescope is not None and node.name == GRADESCOPE_METADATA):
            continue
        identities = identities_by_name(node, gradescope)
        if gradescope is not None and node.kind == "folder" and node.name not in gradescope:
            run.warn(f"{node.origin} is not in {GRADESCOPE_METADATA}; graded as {identities[0].student}")
        if identities:
            _read_upload(node, identities, order, run)




# --- uploads: one student's content --------------------------------------------------------------------------


@dataclass
class Upload:
    """What one walk through an upload found for its students."""

    identities: list[Identity]
    recency: tuple[float, float, int]
    trusted: bool  # a notebook the tutor named: its links are the tutor's
    best: _Candidate | None = None
    others: list[_Candidate] = field(default_factory=list)
    other_file: str = ""  # the first file that is no notebook, to say what there was instead
    refused: bool = False  # a notebook was there but not read: its warning says why
    spent: bool = False  # the student's or the run's bytes are spent: stop walking
    entries: int = 0
    notes: int = 0

    @property
    def who(self) -> str:
        return ", ".join(_who(i.student, i.display_name) for i in self.identities)

    @property
    def students(self) -> list[str]:
        return [identity.student for identity in self.identities]


def _read_upload(node: Node, identities: list[Identity], order: int, run: Run, trusted: bool = False) -> None:
    upload = Upload(identities, (identities[0].submitted_at or 0.0, identities[0].attempt, order), trusted)
    if run.read_in_all >= reading.MAX_BATCH_BYTES:
        run.unread.append(node.origin)
        return
    with ExitStack() as open_files:
        _walk(node, upload, run, open_files, in_zip=False, depth=0)
    if upload.notes > _NOTES_PER_UPLOAD:
        run.warn(f"{upload.who}: and {upload.notes - _NOTES_PER_UPLOAD} more entries of {node.origin} skipped "
                 "like those")
    for identity in identities:
        if upload.best is None:
            run.without_notebook.setdefault(identity.student, "" if upload.refused else (
                f"{upload.who}: no notebook handed in, only files like {upload.other_file}" if upload.other_file
                else f"{upload.who}: no notebook handed in ({node.origin} holds none)"))
        for candidate in [c for c in [upload.best, *upload.others] if c]:
            _hand_in(replace(candidate, identity=identity), run)


def _note(upload: Upload, run: Run, text: str) -> None:
    """A warning about one upload; past a few, only counted, so a hostile upload cannot flood the notes."""
    upload.notes += 1
    if upload.notes <= _NOTES_PER_UPLOAD:
        run.warn(f"{upload.who}: {text}")


def _walk(node: Node, upload: Upload, run: Run, open_files: ExitStack, in_zip: bool, depth: int) -> None:
    """Everything in ``node`` is the upload's content; ``in_zip``: inside a zip of the upload, whose zips stay shut."""
    if is_junk(node.name) or upload.spent:
        return
    upload.entries += 1
    if upload.entries > reading.MAX_STUDENT_ENTRIES:
        upload.spent = True
        _note(upload, run, f"the upload holds more than {reading.MAX_STUDENT_ENTRIES} files and folders; read those "
              f"before {node.origin} (ingest.reading.MAX_STUDENT_ENTRIES)")
    elif depth > reading.MAX_DEPTH:
        _note(upload, run, f"skipped {node.origin}, nested in more than {reading.MAX_DEPTH} folders")
    elif node.kind in ("symbolic link", "hard link") and not upload.trusted:
        upload.refused = True
        _note(upload, run, f"skipped a {node.kind} {node.origin} (links are not followed; put the file itself "
              "there to grade it)")
    elif node.kind == "special file":
        upload.refused = True
        _note(upload, run, f"skipped {node.origin}, which is no regular file")
    elif node.kind == "folder":
        _walk_folder(node, upload, run, open_files, in_zip, depth)
    elif node.suffix == ".ipynb":
        _consider_notebook(node, upload, run)
    elif node.suffix == ".zip" and not in_zip:
        _walk_zip(node, upload, run, open_files, depth)
    elif node.name == GRADESCOPE_METADATA:
        hint = "; if its folder is a Gradescope export, name that folder itself" if node.path else ""
        _note(upload, run, f"{node.origin} lies inside the upload, so it is the student's file and was not read "
              f"as Gradescope's (the export's own lies at its root{hint})")
    else:
        upload.other_file = upload.other_file or node.origin


def _walk_folder(node: Node, upload: Upload, run: Run, open_files: ExitStack, in_zip: bool, depth: int) -> None:
    try:
        children = (disk_children(node.path, node.origin, reading.MAX_STUDENT_ENTRIES + 1) if node.path
                    else node.children)
    except IngestError as error:
        _note(upload, run, f"{error}; skipped it")
        return
    for child in children:
        _walk(child, upload, run, open_files, in_zip, depth + 1)


def _walk_zip(node: Node, upload: Upload, run: Run, open_files: ExitStack, depth: int) -> None:
    try:
        archive = open_files.enter_context(open_zip(node, run, open_files, upload.students))
    except Refused as error:
        upload.refused = True
        _note(upload, run, f"{error}; skipped it")
        return
    children, whole = zip_tree(archive, node.origin, reading.MAX_STUDENT_ENTRIES)
    if not whole:
        _note(upload, run, f"{node.origin} lists more than {reading.MAX_STUDENT_ENTRIES} files and folders; read the "
              "first of them (ingest.reading.MAX_STUDENT_ENTRIES)")
    for child in children:
        _walk(child, upload, run, open_files, in_zip=True, depth=depth + 1)


def _consider_notebook(node: Node, upload: Upload, run: Run) -> None:
    """Read ``node`` only if it could win, and keep only the bytes of the one that wins so far."""
    named_like = _named_like(node.name, run.assignment)
    run.met += 1
    lost_unread = _Candidate(upload.identities[0], node.origin, node.name, named_like, upload.recency, -1,
                             run.met, node.modified, None)
    if upload.best is not None and upload.best.named_like and not named_like:
        upload.others.append(lost_unread)
        return
    try:
        data = read_notebook(node, upload, run)
    except Refused as error:
        upload.refused = True
        _note(upload, run, str(error))
        return
    candidate = replace(lost_unread, size=len(data), data=data)
    if upload.best is None or candidate.rank > upload.best.rank:
        upload.best, candidate = candidate, upload.best
    if candidate is not None:
        upload.others.append(replace(candidate, data=None))


# --- one per student -----------------------------------------------------------------------------------------


def _hand_in(candidate: _Candidate, run: Run) -> None:
    """Add to the student's notebooks; of the best so far and ``candidate``, the loser gives up its bytes."""
    group = run.handed_in.setdefault(candidate.identity.student, [])
    best = next((index for index, c in enumerate(group) if c.data is not None), None)
    if best is not None and candidate.data is not None:
        if group[best].rank > candidate.rank:
            candidate = replace(candidate, data=None)
        else:
            group[best] = replace(group[best], data=None)
    group.append(candidate)


def _one_per_student(run: Run) -> list[Submission]:
    kept = []
    for student, message in run.without_notebook.items():
        if student not in run.handed_in and message:
            run.warn(message)
    for student, group in sorted(run.handed_in.items()):
        best = max(group, key=lambda c: c.rank)  # the one that kept its bytes
        identity = best.identity
        kept.append(Submission(student, best.origin, best.data, best.modified, identity.display_name,
                               identity.submitted_at))
        for other in group:
            if other is not best:
                run.warn(f"{_who(student, identity.display_name)}: graded {best.origin}, dropped {other.origin} "
                         f"({_why_better(best, other, run.assignment)})")
    _warn_of_borrowed_names(run, kept)
    if run.unread:
        shown = ", ".join(run.unread[:10]) + (f" and {len(run.unread) - 10} more" if len(run.unread) > 10 else "")
        run.warn(f"not read, after {reading.MAX_BATCH_BYTES >> 20} MiB in all (ingest.reading.MAX_BATCH_BYTES): "
                 f"{shown}; grade them in a second run")
    return kept


def _warn_of_borrowed_names(run: Run, kept: list[Submission]) -> None:
    """A notebook named like another student still counts as its uploader's only; the tutor hears of it."""
    people = {s.display_name.casefold(): s.student for s in kept if s.display_name}
    people |= {s.student.casefold(): s.student for s in kept}
    for student, group in sorted(run.handed_in.items()):
        for candidate in group:
            ids, names = claimed(candidate.file_name)
            others = [i for i in ids if i != student]
            if not candidate.named_like:  # everyone's notebook may be named like the assignment (and a student)
                others += [people[n.casefold()] for n in names if people.get(n.casefold(), student) != student]
            if others:
                run.warn(f"{_who(student, candidate.identity.display_name)}: {candidate.origin} is named like "
                         f"another student ({others[0]}), but {student} handed it in, so it counts as theirs only")


def _why_better(best: _Candidate, other: _Candidate, assignment: str | None) -> str:
    if best.named_like != other.named_like:
        return f"the graded one is named like the assignment {assignment}"
    if best.recency[0] != other.recency[0]:
        return "the graded one is newer by the LMS's time"
    if best.recency[1] != other.recency[1]:
        return "the graded one is a later attempt by the LMS's order"
    if best.recency[2] != other.recency[2]:
        return "the graded one is newer: its path was named later"
    if best.size != other.size:
        return "the graded one is larger"
    return "same size; graded the first by name"


def _named_like(file_name: str, assignment: str | None) -> bool:
    if not assignment:
        return False
    return own_stem(file_name).casefold() == nfc(assignment).removesuffix(".ipynb").casefold()


def _who(student: str, display_name: str) -> str:
    return f"{student} ({display_name})" if display_name and display_name != student else student
