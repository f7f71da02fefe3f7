"""Uploads written by a student who wants someone else's grade, a better date, the solutions, or the grader down.

Each case: the victim is graded on the victim's own bytes, the attacker on the attacker's (or not at all), no other
id appears, the tutor's notes say what happened, and collect_submissions returns.
"""

from __future__ import annotations

import datetime
import os
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from autograder import ingest
from autograder.ingest import collect_submissions, reading
from tests.test_ingest import make_folder, make_zip, notebook, zip_bytes

MALLORY, BOB, SOLUTION = notebook("mallory's work"), notebook("bob's work"), notebook("the solution")
FUTURE = (2099, 1, 1, 0, 0, 0)


def graded(submissions) -> dict[str, bytes]:
    return {submission.student: submission.data for submission in submissions}


def noted(warnings, *words: str) -> str:
    """The one warning that holds every word."""
    [warning] = [w for w in warnings if all(word in w for word in words)]
    return warning


def solutions(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "solutions" / "hw", {"hw.ipynb": SOLUTION}) / "hw.ipynb"


def zip_link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name, (2026, 1, 10, 12, 0, 0))
    info.external_attr = (stat.S_IFLNK | 0o777) << 16  # what `zip --symlinks` writes
    return info, target.encode()


def write_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


# --- claiming someone else ---------------------------------------------------------------------------------------


def test_a_notebook_in_a_canvas_students_zip_named_like_another_student_stays_the_uploaders(tmp_path):
    # a higher attachment id than bob's own: it would have been bob's latest attempt
    mallory_zip = zip_bytes({"bob_222_999_hw.ipynb": MALLORY})
    archive = make_zip(tmp_path / "submissions.zip", {"mallory_111_555_hw.zip": mallory_zip,
                                                      "bob_222_556_hw.ipynb": BOB})
    submissions, warnings = collect_submissions([archive], assignment="hw")
    assert graded(submissions) == {"111": MALLORY, "222": BOB}
    warning = noted(warnings, "111 (mallory)", "bob_222_999_hw.ipynb")
    assert "named like another student (222)" in warning and "counts as theirs only" in warning


def test_a_canvas_students_zip_holding_a_download_is_not_opened_as_one(tmp_path):
    inner_download = zip_bytes({"bob_222_999_hw.ipynb": MALLORY})
    archive = make_zip(tmp_path / "submissions.zip", {"mallory_111_555_hw.zip": zip_bytes(
        {"bob_222_999_hw.zip": inner_download}), "bob_222_556_hw.ipynb": BOB})
    submissions, warnings = collect_submissions([archive])
    assert graded(submissions) == {"222": BOB}
    assert noted(warnings, "111 (mallory): no notebook handed in", "bob_222_999_hw.zip")


def test_a_plain_students_zip_holding_anothers_name_and_a_future_time_stays_the_uploaders(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    make_zip(folder / "mallory.zip", {"bob.ipynb": MALLORY}, {"bob.ipynb": FUTURE})
    (folder / "bob.ipynb").write_bytes(BOB)
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    assert noted(warnings, "mallory:", "mallory.zip:bob.ipynb", "named like another student (bob)")


def test_a_late_folder_holding_one_students_zip_or_folder_cannot_claim_a_student_of_the_class(tmp_path):
    """The tutor names the late submissions after the class, so they count as newer."""
    classroom = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    late = tmp_path / "late"
    late.mkdir()
    # shaped like a Canvas download, so a folder of downloads would read it as one; but it is alone
    make_zip(late / "mallory.zip", {"bob_222_999_hw.ipynb": MALLORY})
    make_folder(tmp_path / "later" / "trudy", {"bob.ipynb": notebook("trudy's work")})
    submissions, warnings = collect_submissions([classroom, late, tmp_path / "later"])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY, "trudy": notebook("trudy's work")}
    assert noted(warnings, "trudy:", "named like another student (bob)")


def test_a_folder_of_zips_is_plain_unless_every_zip_is_an_lms_download(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    make_zip(folder / "mallory.zip", {"bob_222_999_hw.ipynb": MALLORY})  # Canvas-shaped
    make_zip(folder / "trudy.zip", {"Bob_222_assignsubmission_file_/hw.ipynb": notebook("trudy")})  # Moodle-shaped
    make_zip(folder / "bob.zip", {"hw.ipynb": BOB})
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY, "trudy": notebook("trudy")}
    assert noted(warnings, "mallory:", "(222)")


def test_a_moodle_flat_file_name_imitating_another_participant_stays_the_uploaders(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {
        "Mallory Doe_111_assignsubmission_file_Bob Lee_222_assignsubmission_file_hw.ipynb": MALLORY,
        "Bob Lee_222_assignsubmission_file_hw.ipynb": BOB,
        "Mallory Doe_111_assignsubmission_file_/Bob Lee_222_assignsubmission_file_/hw.ipynb": notebook("also")})
    submissions, warnings = collect_submissions([archive])
    assert graded(submissions) == {"111": MALLORY, "222": BOB}
    assert noted(warnings, "111 (Mallory Doe):", "named like another student (222)")


def test_zip_entry_names_that_climb_out_stay_in_the_uploaders_zip(tmp_path):
    folder = tmp_path / "class"
    make_folder(folder, {"bob.ipynb": BOB})
    make_zip(folder / "mallory.zip", {"/bob.ipynb": MALLORY, "../bob.ipynb": notebook("climbing"),
                                      "sub/../../bob.ipynb": notebook("climbing further")})
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    assert noted(warnings, "mallory:", "named like another student (bob)")


# --- Gradescope metadata that the student wrote --------------------------------------------------------------

EXPORT_METADATA = """\
submission_1:
  :submitters:
  - :name: Mallory
    :sid: '111'
  :created_at: 2026-02-01 12:00:00.000000000 Z
submission_2:
  :submitters:
  - :name: Bob
    :sid: '222'
  :created_at: 2026-01-09 12:00:00.000000000 Z
"""

PLANTED_METADATA = """\
submission_1:
  :submitters:
  - :name: =HYPERLINK("http://evil.example","Bob")
    :sid: '222'
  :created_at: 2000-01-01 00:00:00.000000000 Z
"""


@pytest.mark.parametrize("planted", [PLANTED_METADATA.encode(), b"submission_1:\n  - [unclosed"],
                         ids=["claims-bob-early", "invalid-yaml"])
def test_metadata_planted_in_a_gradescope_submission_is_content_and_never_stops_the_ingest(tmp_path, planted):
    root = "assignment_1_export"
    archive = make_zip(tmp_path / "export.zip", {
        f"{root}/submission_metadata.yml": EXPORT_METADATA.encode(),
        f"{root}/submission_1/hw.ipynb": MALLORY,
        f"{root}/submission_1/submission_metadata.yml": planted,
        f"{root}/submission_1/submission_1/hw.ipynb": notebook("copy"),
        f"{root}/submission_2/hw.ipynb": BOB})
    submissions, warnings = collect_submissions([archive], assignment="hw")
    assert graded(submissions) == {"111": MALLORY, "222": BOB}
    mallory = next(s for s in submissions if s.student == "111")
    assert mallory.display_name == "Mallory" and "HYPERLINK" not in " ".join(s.display_name for s in submissions)
    assert mallory.submitted_at == datetime.datetime(2026, 2, 1, 12, tzinfo=datetime.UTC).timestamp()
    warning = noted(warnings, "111 (Mallory):", f"{root}/submission_1/submission_metadata.yml")
    assert "not read as Gradescope's" in warning


def test_a_plain_students_folder_shaped_like_a_gradescope_export_is_theirs(tmp_path):
    folder = make_folder(tmp_path / "class", {
        "bob.ipynb": BOB, "mallory/submission_metadata.yml": PLANTED_METADATA.encode(),
        "mallory/submission_1/hw.ipynb": MALLORY})
    make_zip(folder / "trudy.zip", {"submission_metadata.yml": PLANTED_METADATA.encode(),
                                    "submission_1/hw.ipynb": notebook("trudy")})
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY, "trudy": notebook("trudy")}
    assert noted(warnings, "mallory:", "submission_metadata.yml", "if its folder is a Gradescope export, name")
    assert noted(warnings, "trudy:", "trudy.zip:submission_metadata.yml")


# --- links ---------------------------------------------------------------------------------------------------


def test_symbolic_links_in_a_folder_are_never_followed(tmp_path):
    solution = solutions(tmp_path)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB, "mallory/scratch.ipynb": MALLORY})
    (folder / "mallory" / "hw.ipynb").symlink_to(solution)  # named like the assignment, and larger
    (folder / "eve.ipynb").symlink_to(solution)
    (folder / "trudy").symlink_to(solution.parent, target_is_directory=True)
    (folder / "mallory" / "loop").symlink_to(folder, target_is_directory=True)
    submissions, warnings = collect_submissions([folder], assignment="hw")
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    for who, link in (("mallory", "mallory/hw.ipynb"), ("mallory", "mallory/loop"), ("eve", "eve.ipynb"),
                      ("trudy", "trudy")):
        assert noted(warnings, f"{who}: skipped a symbolic link {folder / link} (links are not followed")
    assert not any("no notebook" in warning for warning in warnings)


def test_a_symbolic_link_entry_in_a_zip_is_never_read(tmp_path):
    target = str(solutions(tmp_path))
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    write_zip(folder / "mallory.zip", [zip_link("hw.ipynb", target), ("scratch.ipynb", MALLORY)])
    write_zip(folder / "eve.zip", [zip_link("hw.ipynb", "../../solutions/hw/hw.ipynb")])
    canvas = write_zip(tmp_path / "submissions.zip", [zip_link("trudy_333_777_hw.ipynb", target),
                                                     ("bob_222_556_hw.ipynb", BOB)])
    submissions, warnings = collect_submissions([folder, canvas], assignment="hw")
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY, "222": BOB}
    assert noted(warnings, "mallory: skipped a symbolic link", "mallory.zip:hw.ipynb")
    assert noted(warnings, "eve: skipped a symbolic link", "eve.zip:hw.ipynb")
    assert noted(warnings, "333 (trudy): skipped a symbolic link", "submissions.zip:trudy_333_777_hw.ipynb")


def test_hard_links_are_skipped(tmp_path):
    solution = solutions(tmp_path)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB, "mallory/scratch.ipynb": MALLORY})
    os.link(solution, folder / "mallory" / "hw.ipynb")
    os.link(solution, folder / "eve.ipynb")
    submissions, warnings = collect_submissions([folder], assignment="hw")
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    assert noted(warnings, f"mallory: skipped a hard link {folder / 'mallory' / 'hw.ipynb'} (links are not followed")
    assert noted(warnings, f"eve: skipped a hard link {folder / 'eve.ipynb'}")


def test_a_fifo_does_not_hang_the_ingest(tmp_path):
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB, "mallory/scratch.ipynb": MALLORY})
    os.mkfifo(folder / "mallory" / "hw.ipynb")
    submissions, warnings = collect_submissions([folder], assignment="hw")
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    assert noted(warnings, "mallory: skipped", "hw.ipynb, which is no regular file")


# --- bombs and lies ------------------------------------------------------------------------------------------


def bomb(path: Path, entries: int, entry_bytes: int) -> Path:
    """A zip of highly compressible notebooks, written a MiB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(entries):
            with archive.open(f"hw{index:02d}.ipynb", "w", force_zip64=True) as entry:
                for _ in range(entry_bytes >> 20):
                    entry.write(b" " * (1 << 20))
    return path


def peak_memory_of(call):
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_read_within_the_limits_and_holds_one_notebook_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 8 << 20)
    monkeypatch.setattr(reading, "MAX_STUDENT_BYTES", 24 << 20)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    bomb(folder / "mallory.zip", entries=40, entry_bytes=7 << 20)  # 280 MiB unpacked, well under 1 MiB packed
    assert (folder / "mallory.zip").stat().st_size < 1 << 20
    (submissions, warnings), peak = peak_memory_of(lambda: collect_submissions([folder]))
    assert graded(submissions) == {"bob": BOB, "mallory": b" " * (7 << 20)}
    assert peak < 40 << 20, f"{peak >> 20} MiB held for a 280 MiB bomb"
    assert noted(warnings, "mallory: stopped reading at", "mallory.zip:hw03.ipynb", "MAX_STUDENT_BYTES")
    assert len(warnings) <= 4  # what was read before is named (dropped), the rest is not read at all


def test_a_zip_of_many_entries_over_the_limit_costs_nothing_and_floods_no_one(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 1 << 20)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    bomb(folder / "mallory.zip", entries=30, entry_bytes=2 << 20)
    (submissions, warnings), peak = peak_memory_of(lambda: collect_submissions([folder]))
    assert graded(submissions) == {"bob": BOB}
    assert peak < 4 << 20
    assert len([w for w in warnings if "is larger than 1 MiB" in w]) == ingest._NOTES_PER_UPLOAD
    assert noted(warnings, "mallory: and 20 more entries of", "skipped like those")


def lie_about_size(path: Path, claimed: int) -> Path:
    """Rewrite the uncompressed size of a one-entry zip, in the local header and the central directory."""
    raw = bytearray(path.read_bytes())
    local, central = raw.index(b"PK\x03\x04"), raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, claimed)
    struct.pack_into("<I", raw, central + 24, claimed)
    path.write_bytes(bytes(raw))
    return path


def test_a_header_that_lies_about_the_size_buys_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 1 << 20)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    lie_about_size(bomb(folder / "mallory.zip", entries=1, entry_bytes=64 << 20), claimed=100)
    lie_about_size(make_zip(folder / "eve.zip", {"hw.ipynb": notebook("eve")}), claimed=0xFFFF_FFF0)
    (submissions, warnings), peak = peak_memory_of(lambda: collect_submissions([folder]))
    assert graded(submissions) == {"bob": BOB}
    assert peak < 4 << 20
    assert noted(warnings, "mallory: cannot read", "mallory.zip:hw00.ipynb", "skipped it")
    assert noted(warnings, "eve:", "eve.zip:hw.ipynb is larger than 1 MiB")


def test_entries_that_break_halfway_still_cost_what_they_read(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 8 << 20)
    monkeypatch.setattr(reading, "MAX_STUDENT_BYTES", 24 << 20)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    mallory = bomb(folder / "mallory.zip", entries=40, entry_bytes=7 << 20)
    raw = bytearray(mallory.read_bytes())
    for start in range(len(raw)):  # every entry's CRC in the central directory made wrong: each fails at its end
        if raw[start:start + 4] == b"PK\x01\x02":
            raw[start + 16] ^= 0xFF
    mallory.write_bytes(bytes(raw))
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB}
    assert len([w for w in warnings if "Bad CRC-32" in w]) == 3  # 3 x 7 MiB read, then the student's 24 are spent
    assert noted(warnings, "mallory: stopped reading at", "hw03.ipynb", "MAX_STUDENT_BYTES")


def test_folders_nested_thousands_deep_are_cut_not_recursed_into(tmp_path):
    deep = "/".join(["d"] * 30_000)  # as deep as a zip entry name (64 KiB) goes
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    make_zip(folder / "mallory.zip", {"hw.ipynb": MALLORY, f"{deep}/bob.ipynb": notebook("deep")})
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB, "mallory": MALLORY}
    assert noted(warnings, "mallory: skipped", "nested in more than 64 folders")


def test_a_gradescope_folder_the_metadata_does_not_know_is_graded_by_its_own_name(tmp_path):
    archive = make_zip(tmp_path / "export.zip", {"submission_metadata.yml": EXPORT_METADATA.encode(),
                                                 "submission_2/hw.ipynb": BOB, "submission_9/hw.ipynb": MALLORY})
    submissions, warnings = collect_submissions([archive])
    assert graded(submissions) == {"222": BOB, "submission_9": MALLORY}
    assert noted(warnings, "export.zip:submission_9/ is not in submission_metadata.yml; graded as submission_9")


def test_bzip2_and_lzma_entries_are_not_decompressed(tmp_path):
    """zipfile inflates them in one piece per read, so a small entry could fill memory."""
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    for name, method in (("mallory.zip", zipfile.ZIP_BZIP2), ("eve.zip", zipfile.ZIP_LZMA)):
        with zipfile.ZipFile(folder / name, "w", method) as archive:
            archive.writestr("hw.ipynb", notebook("compressed"))
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB}
    assert noted(warnings, "mallory:", "is compressed with bzip2, which is not read")
    assert noted(warnings, "eve:", "is compressed with LZMA, which is not read")


def test_a_huge_count_of_tiny_entries_is_cut_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_STUDENT_ENTRIES", 50)
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB})
    make_zip(folder / "mallory.zip", {f"n{index:05d}.ipynb": b"{}" for index in range(20_000)})  # a huge directory
    # the zip itself is the upload's first entry
    make_zip(folder / "eve.zip", {f"n{index:03d}.ipynb": notebook(f"eve {index:03d}") for index in range(60)})
    make_folder(folder / "trudy", {f"n{index:03d}.ipynb": notebook(f"trudy {index:03d}") for index in range(60)})
    (submissions, warnings), peak = peak_memory_of(lambda: collect_submissions([folder]))
    assert graded(submissions) == {"bob": BOB, "eve": notebook("eve 000"), "trudy": notebook("trudy 000")}
    assert peak < 16 << 20
    assert noted(warnings, "mallory:", "mallory.zip lists more entries than the 50", "MAX_STUDENT_ENTRIES")
    assert noted(warnings, "eve: the upload holds more than 50 files", "read those before", "eve.zip:n049.ipynb")
    assert noted(warnings, "trudy: the upload holds more than 50 files")
    assert len(warnings) < 2 * 60  # one line per dropped notebook read; nothing past the limit


def test_the_whole_run_stops_reading_at_its_limit_and_says_who_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BATCH_BYTES", len(BOB) * 2 + 10)
    folder = make_folder(tmp_path / "class", {f"s{index}.ipynb": BOB for index in range(6)})
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"s0": BOB, "s1": BOB}
    assert noted(warnings, "s2: stopped reading at", "MAX_BATCH_BYTES", "grade the rest in a second run")
    assert noted(warnings, "not read, after", "s3.ipynb", "s5.ipynb", "grade them in a second run")


def test_a_students_broken_or_encrypted_zip_costs_only_that_student(tmp_path):
    folder = make_folder(tmp_path / "class", {"bob.ipynb": BOB, "eve.zip": b"PK\x03\x04 broken"})
    make_zip(folder / "mallory.zip", {"hw.ipynb": MALLORY})
    raw = bytearray((folder / "mallory.zip").read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        raw[raw.index(signature) + flag_offset] |= 0x1  # "encrypted"
    (folder / "mallory.zip").write_bytes(bytes(raw))
    submissions, warnings = collect_submissions([folder])
    assert graded(submissions) == {"bob": BOB}
    assert noted(warnings, "mallory:", "mallory.zip:hw.ipynb is encrypted")
    assert noted(warnings, "eve:", "eve.zip is not a readable zip file", "skipped it")


# --- text that would act on the tutor's terminal -------------------------------------------------------------


def test_markup_and_control_characters_in_names_reach_the_notes_as_plain_text(tmp_path):
    class_zip = make_zip(tmp_path / "class.zip", {
        "[bold]eve[/bold].ipynb": notebook("eve"), "bob.ipynb": BOB,  # the folder "[bold]eve[" of "bold].ipynb"
        "mallory.zip": zip_bytes({"a[/]b/[red]x.ipynb": MALLORY, "a[/]b/y.ipynb": notebook("y")}),
        "trudy\x1b[2J\u202e.ipynb": notebook("trudy")})
    submissions, warnings = collect_submissions([class_zip])
    assert graded(submissions) == {"[bold]eve[": notebook("eve"), "bob": BOB, "mallory": MALLORY,
                                   "trudy\\x1b[2J\\u202e": notebook("trudy")}
    assert noted(warnings, "mallory: graded", "mallory.zip:a[/]b/[red]x.ipynb", "a[/]b/y.ipynb")
    assert not any("\x1b" in text or "\u202e" in text for text in warnings + [s.name for s in submissions])
