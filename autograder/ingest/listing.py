"""Folders on disk and zips listed as nodes, as they are: a link or a special file is listed as what it is (and
never followed), names are NFC, and what people read of a name is written out printable."""

from __future__ import annotations

import datetime
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.ingest import reading

_JUNK_FOLDERS = {"__MACOSX"}  # and every hidden name: .DS_Store, ._hw.ipynb, .ipynb_checkpoints
_ZIP_UTF8_FLAG = 0x800


class IngestError(Exception):
    """A path that cannot be read as submissions; the message names it."""


@dataclass
class Node:
    """One file or folder on disk or in a zip, not read yet."""

    name: str  # its own name, NFC, for matching
    where: str  # the file on disk, for people: "class.zip"
    kind: str  # "file", "folder", "symbolic link", "hard link" or "special file"
    modified: float = 0.0
    path: Path | None = None  # on disk
    archive: zipfile.ZipFile | None = None  # in a zip, with its entry
    info: zipfile.ZipInfo | None = None
    children: list[Node] = field(default_factory=list)  # of a zip's folder; a disk folder is listed when walked
    inner: tuple[str, ...] = ()  # its path in the zip, shared with its folders' (names may nest deep)

    @property
    def origin(self) -> str:
        """For people: "class.zip:Jane Doe_4711_assignsubmission_file_/hw.ipynb"."""
        if not self.inner:
            return self.where
        return f"{self.where}:{printable('/'.join(self.inner))}{'/' if self.kind == 'folder' else ''}"

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()


# --- listing folders and zips --------------------------------------------------------------------------------


def disk_children(folder: Path, origin: str, limit: int | None) -> list[Node]:
    """``folder``'s entries as they are, links included: lstat, never stat."""
    nodes = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if limit is not None and len(nodes) >= limit:
                    break
                nodes.append(_disk_node(Path(entry.path), f"{origin}/{printable(nfc(entry.name))}"))
    except OSError as error:
        raise IngestError(f"cannot list {origin}: {error.strerror}") from None
    return sorted(nodes, key=lambda node: node.name)


def _disk_node(path: Path, origin: str) -> Node:
    try:
        status = os.lstat(path)
    except OSError:
        return Node(nfc(path.name), origin, "special file")
    if stat.S_ISLNK(status.st_mode):
        kind = "symbolic link"
    elif stat.S_ISDIR(status.st_mode):
        kind = "folder"
    elif stat.S_ISREG(status.st_mode):
        kind = "hard link" if status.st_nlink > 1 else "file"
    else:
        kind = "special file"
    return Node(nfc(path.name), origin, kind, status.st_mtime, path=path)


def zip_tree(archive: zipfile.ZipFile, origin: str, limit: int | None) -> tuple[list[Node], bool]:
    """The zip's top-level entries, its folders holding theirs, as if it were unpacked; at most ``limit`` files and
    folders (False where there were more), none nested deeper than a walk goes."""
    root = Node("", origin, "folder")
    folders: dict[tuple[str, ...], Node] = {(): root}
    files = 0
    for info in archive.infolist():
        parts = tuple(part for part in _entry_name(info).split("/") if part)  # "/x", "a//b": no empty names
        is_folder = info.is_dir() or len(parts) > reading.MAX_DEPTH + 2  # deeper: its folders let the walk say so
        parts = parts[:reading.MAX_DEPTH + 2]
        if limit is not None and files + len(folders) + len(parts) > limit + 1:
            return _sorted_tree(folders), False
        parent = _zip_folder(folders, parts if is_folder else parts[:-1], origin)
        if parts and not is_folder:
            files += 1
            kind = "symbolic link" if stat.S_ISLNK(info.external_attr >> 16) else "file"
            parent.children.append(Node(parts[-1], origin, kind, _zip_time(info), archive=archive, info=info,
                                        inner=parts))
    return _sorted_tree(folders), True


def _zip_folder(folders: dict[tuple[str, ...], Node], parts: tuple[str, ...], origin: str) -> Node:
    """The folder ``parts``, made with its parents where the zip lists none."""
    for length in range(1, len(parts) + 1):
        if parts[:length] not in folders:
            folder = Node(parts[length - 1], origin, "folder", inner=parts[:length])
            folders[parts[:length - 1]].children.append(folder)
            folders[parts[:length]] = folder
    return folders[parts]


def _sorted_tree(folders: dict[tuple[str, ...], Node]) -> list[Node]:
    for folder in folders.values():
        folder.children.sort(key=lambda node: node.name)
    return folders[()].children


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & _ZIP_UTF8_FLAG:
        # zipfile reads unflagged names as cp437, but macOS and Linux zip tools write UTF-8 without the flag
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass  # it really was cp437 (old Windows tools)
    return nfc(name.replace("\\", "/"))  # macOS stores NFD; some Windows tools use backslashes


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime.datetime(*info.date_time).timestamp()
    except ValueError:  # zip tools write 0000-00-00 for "unknown"
        return 0.0


def is_junk(name: str) -> bool:
    return name.startswith(".") or name in _JUNK_FOLDERS


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def printable(text: str) -> str:
    """Control and direction characters written out (``\\x1b``), so a name cannot repaint the tutor's terminal."""
    return "".join(_written_out(c) if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def _written_out(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
