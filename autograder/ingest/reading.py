"""Reading what may be hostile, within hard limits: a chunk at a time, whatever a zip's headers claim, and never
through a link.

The limits live here and only here; the other modules of ``autograder.ingest`` read them from this module when
they run, so whoever changes one (a test, a tutor) changes it here: ``autograder.ingest.reading.MAX_ENTRY_BYTES``.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
import zlib
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from autograder.ingest import Run, Upload
    from autograder.ingest.listing import Node

MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one notebook; above 50 MB of stale outputs, which is graded normally
MAX_STUDENT_BYTES = 512 * 1024 * 1024  # all one student's uploads: notebooks, and zips inside zips (on disk)
MAX_STUDENT_ENTRIES = 10_000  # files and folders of one upload
MAX_BATCH_BYTES = 8 * 1024 * 1024 * 1024  # everything one collect_submissions reads; what it keeps is less
MAX_DEPTH = 64  # folders within folders of one upload; deeper ones are skipped, not recursed into
_CHUNK_BYTES = 1024 * 1024
_DIRECTORY_RECORD_BYTES = 1024  # a zip's directory record per entry, generously: 46 bytes and the entry's name
_ZIP_ENCRYPTED_FLAG = 0x1
# bzip2 and LZMA entries are decompressed by zipfile in one piece per read, however large: a bomb's way in
_READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_COMPRESSION_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}


class Refused(Exception):
    """An entry we do not read; the message says why and what to do."""


# --- notebooks, within what is left to read of the student and the run ---------------------------------------


def read_notebook(node: Node, upload: Upload, run: Run) -> bytes:
    declared = node.info.file_size if node.info else 0
    if declared > MAX_ENTRY_BYTES:  # a header may lie, but a liar only loses its own notebook
        raise Refused(_too_large(node))
    limit, data = min(MAX_ENTRY_BYTES, _budget(upload.students, run)), bytearray()
    try:
        with open_entry(node, upload.trusted) as stream:
            whole = copy_bounded(stream, data.extend, limit, lambda size: _charge(upload.students, run, size))
    except READ_ERRORS as error:
        raise Refused(f"cannot read {node.origin}: {reason(error)}; skipped it") from None
    if not whole and limit < MAX_ENTRY_BYTES:
        upload.spent = True
        raise Refused(_over_budget(node, run))
    if not whole:
        raise Refused(_too_large(node))
    return bytes(data)


def _too_large(node: Node) -> str:
    return (f"{node.origin} is larger than {MAX_ENTRY_BYTES >> 20} MiB; skipped it (is it really a notebook? "
            "clear its outputs, or raise ingest.reading.MAX_ENTRY_BYTES)")


def _over_budget(node: Node, run: Run) -> str:
    if run.read_in_all >= MAX_BATCH_BYTES:
        return (f"stopped reading at {node.origin}: {MAX_BATCH_BYTES >> 20} MiB were read in all "
                "(ingest.reading.MAX_BATCH_BYTES); grade the rest in a second run")
    return (f"stopped reading at {node.origin}: {MAX_STUDENT_BYTES >> 20} MiB were read of this student "
            "(ingest.reading.MAX_STUDENT_BYTES); graded what was read before")


def _budget(students: list[str], run: Run) -> int:
    spent = max((run.read_by_student.get(student, 0) for student in students), default=0)
    return max(0, min(MAX_STUDENT_BYTES - spent, MAX_BATCH_BYTES - run.read_in_all))


def _charge(students: list[str], run: Run, size: int) -> None:
    run.read_in_all += size
    for student in students:
        run.read_by_student[student] = run.read_by_student.get(student, 0) + size


# --- reading, bounded ----------------------------------------------------------------------------------------

READ_ERRORS = (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError, zlib.error)


def copy_bounded(stream: BinaryIO, keep, limit: int, spend=lambda size: None) -> bool:
    """Hand at most ``limit`` bytes of ``stream`` to ``keep`` a chunk at a time, paying each to ``spend`` as it is
    read (so an entry that breaks halfway still costs what it cost); False where there are more. A zip header's
    size is never asked: a bomb lies there."""
    copied = 0
    while chunk := stream.read(min(_CHUNK_BYTES, limit + 1 - copied)):
        copied += len(chunk)
        spend(len(chunk))
        if copied > limit:
            return False
        keep(chunk)
    return True


def open_entry(node: Node, trusted: bool = False) -> BinaryIO:
    if node.archive is not None:
        if node.info.compress_type not in _READABLE_COMPRESSION:
            method = _COMPRESSION_NAMES.get(node.info.compress_type, f"method {node.info.compress_type}")
            raise Refused(f"{node.origin} is compressed with {method}, which is not read (it can expand without "
                          "bound); ask for a zip of the ordinary kind (deflated)")
        if node.info.flag_bits & _ZIP_ENCRYPTED_FLAG:
            raise Refused(f"{node.origin} is encrypted; ask for a zip without a password")
        return node.archive.open(node.info)
    if trusted:
        return open(node.path, "rb")
    # O_NOFOLLOW: a file swapped for a link since it was listed is refused too; O_NONBLOCK: a FIFO cannot hang us
    descriptor = os.open(node.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_nlink > 1:
        os.close(descriptor)
        raise Refused(f"{node.origin} is a link or no regular file (links are not followed)")
    return os.fdopen(descriptor, "rb")


def open_zip(node: Node, run: Run, open_files: ExitStack, students: list[str]) -> zipfile.ZipFile:
    """A zip found in a folder or a zip; one inside a zip is first copied, bounded, to a temporary file."""
    try:
        if node.archive is None:
            file = open_files.enter_context(open_entry(node))
        else:
            file = open_files.enter_context(tempfile.TemporaryFile())
            _spool(node, file, students, run)
        directory = zipfile._EndRecData(file)  # what zipfile will load into memory, asked before it does
        if directory and directory[zipfile._ECD_SIZE] > MAX_STUDENT_ENTRIES * _DIRECTORY_RECORD_BYTES:
            raise Refused(f"{node.origin} lists more entries than the {MAX_STUDENT_ENTRIES} an upload may hold "
                          "(ingest.reading.MAX_STUDENT_ENTRIES)")
        return zipfile.ZipFile(file)
    except READ_ERRORS as error:
        raise Refused(f"{node.origin} is not a readable zip file ({reason(error)})") from None


def _spool(node: Node, file: BinaryIO, students: list[str], run: Run) -> None:
    limit = _budget(students, run)
    with open_entry(node) as stream:
        if not copy_bounded(stream, file.write, limit, lambda size: _charge(students, run, size)):
            raise Refused(f"{node.origin} is larger than the {limit >> 20} MiB left to read of this student "
                          "(ingest.reading.MAX_STUDENT_BYTES); unpack it and name its notebook")
    file.seek(0)


def reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__

