"""What an LMS wrote: its names for students' uploads (Canvas, Moodle) and Gradescope's metadata at an export's
root, read into identities. Nothing here looks inside an upload: that is the student's content."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from autograder.ingest import reading
from autograder.ingest.listing import IngestError, Node, nfc, printable
from autograder.ingest.reading import READ_ERRORS, Refused, copy_bounded, open_entry, reason

GRADESCOPE_METADATA = "submission_metadata.yml"
# the first match is the LMS's: what follows it is the student's own file name, which may imitate it
MOODLE_NAME = re.compile(r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<own_name>.*)")
CANVAS_NAME = re.compile(r"(?P<name>.+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<attachment>\d+)_(?P<own_name>.+)")
_CANVAS_RESUBMISSION = re.compile(r"-\d+$")  # Canvas renames a second "hw.ipynb" of a student "hw-1.ipynb"


@dataclass(frozen=True)
class Identity:
    student: str
    display_name: str = ""
    submitted_at: float | None = None
    attempt: float = 0.0  # the format's own order of attempts (Canvas attachment ids grow)


def lms_name(name: str) -> bool:
    return bool(MOODLE_NAME.fullmatch(name) or CANVAS_NAME.fullmatch(name))


def identities_by_name(node: Node, gradescope: dict[str, dict] | None = None) -> list[Identity]:
    """Who handed in the top-level entry ``node``; [] for what is no upload (Moodle's online text, notes)."""
    if gradescope is not None and node.name in gradescope:
        return _gradescope_identities(gradescope[node.name], node.name)
    if moodle := MOODLE_NAME.fullmatch(node.name):  # the online-text plugin holds typed text, never notebooks
        return [Identity(moodle["id"], printable(moodle["name"].strip()))] if moodle["plugin"] == "file" else []
    if canvas := CANVAS_NAME.fullmatch(node.name):
        return [Identity(canvas["id"], printable(canvas["name"].strip()), attempt=float(canvas["attachment"]))]
    if node.kind == "file" and node.suffix not in (".ipynb", ".zip"):
        return []  # the tutor's notes.txt beside the class
    name = PurePosixPath(node.name).stem if node.kind != "folder" else node.name
    return [Identity(printable(name))]


def gradescope_metadata(root: list[Node]) -> dict[str, dict] | None:
    """The export's mapping from submission folder names to their metadata; None where the root has none."""
    node = next((n for n in root if n.name == GRADESCOPE_METADATA and n.kind == "file"), None)
    if node is None:
        return None
    data = bytearray()
    try:
        with open_entry(node) as stream:
            whole = copy_bounded(stream, data.extend, reading.MAX_ENTRY_BYTES)
    except (Refused, *READ_ERRORS) as error:
        raise IngestError(f"cannot read {node.origin}: {reason(error)}") from None
    if not whole:
        raise IngestError(f"{node.origin} is larger than {reading.MAX_ENTRY_BYTES >> 20} MiB; is it Gradescope's?")
    try:
        metadata = yaml.load(bytes(data), Loader=_RubyTolerantLoader)
    except yaml.YAMLError as error:
        mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None) or error
        raise IngestError(f"{node.origin} is not readable Gradescope metadata: {problem}"
                          + (f" (line {mark.line + 1})" if mark else "")) from None
    return {str(folder): record for folder, record in metadata.items()} if isinstance(metadata, dict) else {}


def _gradescope_identities(record, folder: str) -> list[Identity]:
    if not isinstance(record, dict):
        return [Identity(printable(folder))]
    submitted_at = _epoch(_field(record, "created_at"))
    submitters = [s for s in _field(record, "submitters") or [] if isinstance(s, dict)] or [{}]
    # a group submission counts for each member
    return [Identity(_text(_field(s, "sid")) or _text(_field(s, "email")) or printable(folder),
                      _text(_field(s, "name")), submitted_at) for s in submitters]


class _RubyTolerantLoader(yaml.SafeLoader):
    """Safe YAML that reads Ruby's tagged values (``!ruby/object:BigDecimal 18:0.1E2``) as plain data."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


def _field(record: dict, key: str):
    """Gradescope writes Ruby symbols (``:sid:``), which YAML reads as keys with a leading colon."""
    return record.get(f":{key}", record.get(key))


def _text(value) -> str:
    return "" if value is None else printable(nfc(str(value).strip()))


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


def claimed(file_name: str) -> tuple[list[str], list[str]]:
    """The ids an LMS-looking name claims, its own part included (``Me_1_assignsubmission_file_Bob_2_...``),
    and the names it could be taken for."""
    for pattern in (MOODLE_NAME, CANVAS_NAME):
        if (match := pattern.fullmatch(file_name)) and match["own_name"]:
            ids, names = claimed(match["own_name"])
            return [match["id"], *ids], [printable(match["name"].strip()), *names]
    return [], [printable(PurePosixPath(file_name).stem)]


def own_stem(file_name: str) -> str:
    """The notebook's name as the student saved it, without what Moodle or Canvas added."""
    if moodle := MOODLE_NAME.fullmatch(file_name):
        return PurePosixPath(moodle["own_name"]).stem
    if canvas := CANVAS_NAME.fullmatch(file_name):
        return _CANVAS_RESUBMISSION.sub("", PurePosixPath(canvas["own_name"]).stem)
    return PurePosixPath(file_name).stem


_RubyTolerantLoader.add_multi_constructor("!", _untagged)
