"""Reading what tutors download from their LMS: the right student, the right notebook, clear warnings and errors."""

from __future__ import annotations

import datetime
import io
import os
import re
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.ingest import IngestError, collect_submissions, reading

JANUARY = (2026, 1, 10, 12, 0, 0)
FEBRUARY = (2026, 2, 10, 12, 0, 0)


def notebook(answer: str = "x = 1") -> bytes:
    cell = nbformat.v4.new_code_cell(answer, id="answer")  # a fixed id, so equal answers give equal bytes
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()


def make_zip(path: Path, files: dict[str, bytes], times: dict[str, tuple] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, (times or {}).get(name, JANUARY)), data)
    return path


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    make_zip(buffer, files)
    return buffer.getvalue()


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def by_student(submissions) -> dict:
    return {submission.student: submission for submission in submissions}


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- plain -------------------------------------------------------------------------------------------------------


def test_plain_folder_uses_file_stems_and_folder_names_and_skips_junk(tmp_path):
    folder = make_folder(tmp_path / "hw1", {
        "alice.ipynb": notebook(), "Jane Doe.ipynb": notebook(), "carol/temperature.ipynb": notebook(),
        ".ipynb_checkpoints/alice-checkpoint.ipynb": notebook(), "__MACOSX/._alice.ipynb": b"\0\5\26\7",
        "._bob.ipynb": b"\0\5\26\7", ".DS_Store": b"\0", "notes.txt": b"remember to grade"})
    submissions, warnings = collect_submissions([folder])
    assert [s.student for s in submissions] == ["Jane Doe", "alice", "carol"]
    assert warnings == []
    carol = by_student(submissions)["carol"]
    assert carol.name == str(folder / "carol" / "temperature.ipynb") and carol.data == notebook()
    assert (carol.display_name, carol.submitted_at) == ("", None)


def test_plain_zip_from_a_mac_keeps_one_notebook_per_student(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {
        "hw1/alice.ipynb": notebook(), "hw1/bob.ipynb": notebook(), "__MACOSX/hw1/._alice.ipynb": b"\0\5\26\7",
        "hw1/.DS_Store": b"\0", "hw1/.ipynb_checkpoints/bob-checkpoint.ipynb": notebook("old")})
    submissions, warnings = collect_submissions([archive])
    assert [(s.student, s.name) for s in submissions] == [
        ("alice", f"{archive}:hw1/alice.ipynb"), ("bob", f"{archive}:hw1/bob.ipynb")]
    assert by_student(submissions)["bob"].data == notebook()
    assert warnings == []


def test_of_two_plain_notebooks_the_one_from_the_path_named_later_is_graded_and_the_tutor_told(tmp_path):
    # zip times are whatever the student's machine said: the tutor's order of paths decides
    older = make_zip(tmp_path / "first.zip", {"alice.ipynb": notebook("first try")}, {"alice.ipynb": FEBRUARY})
    newer = make_zip(tmp_path / "second.zip", {"alice.ipynb": notebook("second try")}, {"alice.ipynb": JANUARY})
    submissions, warnings = collect_submissions([older, newer])
    assert [s.data for s in submissions] == [notebook("second try")]
    assert submissions[0].modified == datetime.datetime(*JANUARY).timestamp()  # kept for people, orders nothing
    [warning] = warnings
    assert f"{newer}:alice.ipynb" in warning.split("dropped")[0] and f"{older}:alice.ipynb" in warning
    assert "named later" in warning


def test_single_files_are_taken_as_they_are_named(tmp_path):
    plain = make_folder(tmp_path, {"alice.ipynb": notebook()}) / "alice.ipynb"
    canvas = make_folder(tmp_path, {"doejane_12345_6789012_hw.ipynb": notebook()}) / "doejane_12345_6789012_hw.ipynb"
    submissions, _ = collect_submissions([plain, canvas])
    assert [(s.student, s.display_name) for s in submissions] == [("12345", "doejane"), ("alice", "")]


# --- Canvas ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("packed", ["zip", "folder"])
def test_canvas_download_gives_user_ids_names_and_the_last_resubmission(tmp_path, packed):
    files = {
        "doejane_12345_6789012_temperature.ipynb": notebook("first"),
        "doejane_12345_6789099_temperature-1.ipynb": notebook("resubmitted"),
        "smithjohn_LATE_23456_6789050_temperature.ipynb": notebook("late"),
        "müller-lüdenscheidt_34567_6789051_Temperature Model.ipynb": notebook(),
    }
    if packed == "zip":
        # the resubmission's zip time is older: Canvas's attachment ids, not times, give the order of attempts
        source = make_zip(tmp_path / "submissions.zip", files, {"doejane_12345_6789099_temperature-1.ipynb": JANUARY,
                                                              "doejane_12345_6789012_temperature.ipynb": FEBRUARY})
    else:
        source = make_folder(tmp_path / "submissions", files)
    submissions, warnings = collect_submissions([source])
    students = by_student(submissions)
    assert sorted(students) == ["12345", "23456", "34567"]
    assert students["12345"].data == notebook("resubmitted")
    assert students["12345"].display_name == "doejane"
    assert students["23456"].display_name == "smithjohn"  # the late mark is not read: the rubric's due date decides
    assert students["34567"].display_name == "müller-lüdenscheidt"
    [warning] = warnings
    assert "12345 (doejane)" in warning
    assert "temperature-1.ipynb" in warning.split("dropped")[0] and "6789012_temperature.ipynb" in warning


def test_canvas_student_zip_inside_the_download_keeps_the_canvas_id(tmp_path):
    inner = zip_bytes({"project/temperature.ipynb": notebook(), "project/data.csv": b"t\n1\n"})
    archive = make_zip(tmp_path / "submissions.zip", {"doejane_12345_6789012_project.zip": inner})
    submissions, warnings = collect_submissions([archive])
    assert [(s.student, s.display_name) for s in submissions] == [("12345", "doejane")]
    assert submissions[0].name == f"{archive}:doejane_12345_6789012_project.zip:project/temperature.ipynb"
    assert warnings == []


def test_assignment_name_picks_the_right_notebook_over_a_newer_scratch_file(tmp_path):
    archive = make_zip(tmp_path / "submissions.zip", {
        "doejane_12345_6789012_temperature-2.ipynb": notebook("the answers"),
        "doejane_12345_6789013_scratch.ipynb": notebook("playing around, much longer than the answers")})
    (chosen,), warnings = collect_submissions([archive], assignment="Temperature")
    assert chosen.data == notebook("the answers")
    assert "named like the assignment Temperature" in warnings[0] and "scratch.ipynb" in warnings[0]
    (chosen,), _ = collect_submissions([archive])
    assert chosen.data == notebook("playing around, much longer than the answers")


# --- Moodle ------------------------------------------------------------------------------------------------------


def test_moodle_download_from_a_mac_gives_participant_ids_and_nfc_names(tmp_path):
    zoe = "Zoë Ångström_4711_assignsubmission_file_"
    archive = make_zip(tmp_path / "class.zip", {
        nfd(f"{zoe}/Übung 1.ipynb"): notebook("zoe"),  # macOS writes decomposed letters
        "Jane Doe_12345_assignsubmission_file_/hw1.ipynb": notebook("jane"),
        "Jane Doe_12345_assignsubmission_onlinetext_/onlinetext.html": b"<p>see my notebook</p>",
        "Max Mustermann_555_assignsubmission_onlinetext_/onlinetext.html": b"<p>I had no time</p>",
        "__MACOSX/Jane Doe_12345_assignsubmission_file_/._hw1.ipynb": b"\0\5\26\7"})
    submissions, warnings = collect_submissions([archive])
    assert [(s.student, s.display_name) for s in submissions] == [("12345", "Jane Doe"), ("4711", "Zoë Ångström")]
    zoe_submission = by_student(submissions)["4711"]
    assert zoe_submission.name == f"{archive}:{zoe}/Übung 1.ipynb"
    assert unicodedata.is_normalized("NFC", zoe_submission.name) and zoe_submission.data == notebook("zoe")
    assert warnings == []


def test_moodle_student_with_two_notebooks_gets_the_assignment_one_or_the_largest(tmp_path):
    folder = "Jane Doe_12345_assignsubmission_file_"
    archive = make_zip(tmp_path / "class.zip", {f"{folder}/hw1.ipynb": notebook("hw"),
                                                f"{folder}/Untitled.ipynb": notebook("scratch")},
                       {f"{folder}/hw1.ipynb": FEBRUARY, f"{folder}/Untitled.ipynb": JANUARY})  # times count not
    (largest,), [warning] = collect_submissions([archive])
    assert largest.data == notebook("scratch") and "hw1.ipynb" in warning.split("dropped")[1]
    assert "larger" in warning
    (named,), [warning] = collect_submissions([archive], assignment="hw1.ipynb")
    assert named.data == notebook("hw") and "Untitled.ipynb" in warning.split("dropped")[1]


def test_moodle_student_without_a_notebook_is_reported(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {"Jane Doe_12345_assignsubmission_file_/hw1.py": b"print(1)",
                                                "Jane Doe_12345_assignsubmission_file_/hw1.pdf": b"%PDF",
                                                "Bo Li_7_assignsubmission_file_/hw1.ipynb": notebook()})
    submissions, [warning] = collect_submissions([archive])
    assert [s.student for s in submissions] == ["7"]
    assert warning.startswith("12345 (Jane Doe): no notebook") and "hw1." in warning


def test_moodle_flat_download_without_folders(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {"Jane Doe_12345_assignsubmission_file_hw1.ipynb": notebook()})
    (jane,), _ = collect_submissions([archive], assignment="hw1")
    assert (jane.student, jane.display_name) == ("12345", "Jane Doe")


# --- Gradescope --------------------------------------------------------------------------------------------------

GRADESCOPE_METADATA = """\
---
submission_111:
  :submitters:
  - :name: Jane Doe
    :sid: '12345'
    :email: jane@uni.example
  :created_at: 2026-01-10 12:00:00.123456000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1E2
  :status: processed
submission_222:
  :submitters:
  - :name: Ann Lee
    :sid:
    :email: ann@uni.example
  - :name: Zoë Ångström
    :sid: 4711
    :email: zoe@uni.example
  :created_at: 2026-01-11 09:30:00.000000000 +01:00
submission_333:
  :submitters:
  - :name: Jane Doe
    :sid: '12345'
    :email: jane@uni.example
  :created_at: 2026-01-09 08:00:00.000000000 -08:00
submission_444:
  :submitters: []
  :created_at: 2026-01-12 08:00:00.000000000 Z
"""


def test_gradescope_export_gives_sids_names_times_and_the_latest_submission(tmp_path):
    root = "assignment_98765_export"
    archive = make_zip(tmp_path / "export.zip", {
        f"{root}/submission_metadata.yml": GRADESCOPE_METADATA.encode(),
        f"{root}/submission_111/temperature.ipynb": notebook("jane final"),
        f"{root}/submission_222/temperature.ipynb": notebook("group"),
        f"{root}/submission_333/temperature.ipynb": notebook("jane early"),
        f"{root}/submission_444/temperature.ipynb": notebook("nobody")},
        # zip times say the early one is newest: Gradescope's created_at decides
        {f"{root}/submission_333/temperature.ipynb": FEBRUARY})
    submissions, warnings = collect_submissions([archive])
    students = by_student(submissions)
    assert sorted(students) == ["12345", "4711", "ann@uni.example", "submission_444"]
    jane = students["12345"]
    assert (jane.display_name, jane.data) == ("Jane Doe", notebook("jane final"))
    assert jane.submitted_at == pytest.approx(datetime.datetime(2026, 1, 10, 20, 0, 0, 123456,
                                                                tzinfo=datetime.UTC).timestamp())
    assert jane.name == f"{archive}:{root}/submission_111/temperature.ipynb"
    # a group submission is graded for each member
    assert students["4711"].data == students["ann@uni.example"].data == notebook("group")
    assert students["4711"].display_name == "Zoë Ångström"
    assert students["4711"].submitted_at == datetime.datetime(2026, 1, 11, 8, 30, tzinfo=datetime.UTC).timestamp()
    [warning] = warnings
    assert "12345 (Jane Doe)" in warning and "submission_333" in warning.split("dropped")[1]


def test_gradescope_export_unpacked_into_a_folder(tmp_path):
    folder = make_folder(tmp_path / "export", {"submission_metadata.yml": GRADESCOPE_METADATA.encode(),
                                               "submission_111/temperature.ipynb": notebook()})
    (jane,), warnings = collect_submissions([folder])
    assert (jane.student, jane.display_name) == ("12345", "Jane Doe") and warnings == []


def test_broken_gradescope_metadata_names_the_file(tmp_path):
    archive = make_zip(tmp_path / "export.zip", {"submission_metadata.yml": b"submission_1:\n  - [unclosed",
                                                 "submission_1/hw.ipynb": notebook()})
    with pytest.raises(IngestError, match=r"export\.zip:submission_metadata\.yml is not readable Gradescope"):
        collect_submissions([archive])


# --- zip names and nesting ---------------------------------------------------------------------------------------


def unflagged_zip(path: Path, raw_name: bytes, data: bytes) -> Path:
    """A zip whose entry name is ``raw_name`` without the UTF-8 flag, as macOS and Info-ZIP write them."""
    placeholder = "x" * len(raw_name)
    make_zip(path, {placeholder: data})
    path.write_bytes(path.read_bytes().replace(placeholder.encode(), raw_name))
    with zipfile.ZipFile(path) as archive:
        [info] = archive.infolist()
        assert not info.flag_bits & 0x800 and info.filename == raw_name.decode("cp437")
    return path


def test_utf8_names_that_zipfile_read_as_cp437_are_repaired(tmp_path):
    name = "Zoë Ångström_4711_assignsubmission_file_/Übung.ipynb"
    archive = unflagged_zip(tmp_path / "class.zip", nfd(name).encode(), notebook())
    (zoe,), _ = collect_submissions([archive])
    assert (zoe.student, zoe.display_name, zoe.name) == ("4711", "Zoë Ångström", f"{archive}:{name}")


def test_real_cp437_names_from_old_windows_tools_stay_readable(tmp_path):
    archive = unflagged_zip(tmp_path / "class.zip", "Müller.ipynb".encode("cp437"), notebook())
    (muller,), _ = collect_submissions([archive])
    assert muller.student == "Müller"


def test_decomposed_names_on_disk_become_composed_ids(tmp_path):
    folder = make_folder(tmp_path / "class", {nfd("Zoë Ångström_4711_assignsubmission_file_/Übung.ipynb"): notebook(),
                                              nfd("Åsa.ipynb"): notebook()})
    submissions, _ = collect_submissions([folder])
    assert [(s.student, s.display_name) for s in submissions] == [("4711", "Zoë Ångström"), ("Åsa", "")]


def test_a_zip_in_a_class_zip_is_one_students_upload_and_the_zips_inside_it_stay_shut(tmp_path):
    # a download inside a zip is not one: its LMS names are the uploader's content (unpack it into a folder)
    moodle = zip_bytes({"Jane Doe_12345_assignsubmission_file_/hw1.ipynb": notebook("group a"),
                        "deeper.zip": zip_bytes({"hidden.ipynb": notebook("hidden, and larger too")})})
    archive = make_zip(tmp_path / "outer.zip", {"group_a.zip": moodle, "bob.ipynb": notebook()})
    submissions, warnings = collect_submissions([archive])
    assert [s.student for s in submissions] == ["bob", "group_a"]
    assert by_student(submissions)["group_a"].data == notebook("group a")
    assert warnings == []


def test_folder_of_lms_zips_is_read_zip_by_zip(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    make_zip(folder / "canvas.zip", {"doejane_12345_6789012_hw.ipynb": notebook()})
    make_zip(folder / "moodle.zip", {"Bo Li_7_assignsubmission_file_/hw.ipynb": notebook()})
    submissions, _ = collect_submissions([folder])
    assert [(s.student, s.name) for s in submissions] == [
        ("12345", f"{folder / 'canvas.zip'}:doejane_12345_6789012_hw.ipynb"),
        ("7", f"{folder / 'moodle.zip'}:Bo Li_7_assignsubmission_file_/hw.ipynb")]


# --- errors ------------------------------------------------------------------------------------------------------


def test_missing_path_is_named(tmp_path):
    with pytest.raises(IngestError, match="no such file or folder: .*nowhere.zip"):
        collect_submissions([tmp_path / "nowhere.zip"])


def test_unreadable_zip_is_named(tmp_path):
    (tmp_path / "class.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(IngestError, match=r"class\.zip is not a readable zip file"):
        collect_submissions([tmp_path / "class.zip"])


def test_corrupt_entry_is_named_and_costs_only_its_student(tmp_path):
    archive = make_zip(tmp_path / "class.zip", {"alice.ipynb": notebook("the answer is 42"), "bob.ipynb": notebook()})
    archive.write_bytes(archive.read_bytes().replace(b"the answer is 42", b"the answer is 41"))
    submissions, [warning] = collect_submissions([archive])
    assert [s.student for s in submissions] == ["bob"]
    assert re.match(r"alice: cannot read .*class\.zip:alice\.ipynb: Bad CRC-32.*; skipped it", warning)


def test_entry_over_the_size_limit_is_named_and_costs_only_its_student(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 1 << 20)
    archive = make_zip(tmp_path / "class.zip", {"bob.ipynb": notebook(), "alice.ipynb": b" " * (2 << 20)})
    submissions, [warning] = collect_submissions([archive])
    assert [s.student for s in submissions] == ["bob"]
    assert re.match(r"alice: .*class\.zip:alice\.ipynb is larger than 1 MiB; skipped it", warning)
    big_file = make_folder(tmp_path / "folder", {"alice.ipynb": b" " * (2 << 20), "bob.ipynb": notebook()})
    submissions, [warning] = collect_submissions([big_file])
    assert [s.student for s in submissions] == ["bob"] and "alice.ipynb is larger than 1 MiB" in warning


def test_large_files_that_are_no_notebooks_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ENTRY_BYTES", 1 << 20)
    archive = make_zip(tmp_path / "class.zip", {"Bo Li_7_assignsubmission_file_/hw.ipynb": notebook(),
                                                "Bo Li_7_assignsubmission_file_/weights.h5": b"\0" * (2 << 20)})
    assert [s.student for s in collect_submissions([archive])[0]] == ["7"]


def test_a_students_broken_zip_is_a_warning_not_the_end_of_grading(tmp_path):
    archive = make_zip(tmp_path / "submissions.zip", {"doejane_12345_6789012_project.zip": b"PK\x03\x04 broken",
                                                      "smithjohn_23456_6789013_hw.ipynb": notebook()})
    submissions, [warning] = collect_submissions([archive])
    assert [s.student for s in submissions] == ["23456"]
    assert "doejane_12345_6789012_project.zip is not a readable zip file" in warning and "skipped" in warning


def test_unreadable_file_is_named_and_costs_only_its_student(tmp_path, monkeypatch):
    make_folder(tmp_path, {"alice.ipynb": notebook(), "bob.ipynb": notebook()})
    real_open = os.open

    def refuse_alice(path, *args, **kwargs):
        if str(path).endswith("alice.ipynb"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_alice)  # chmod binds no one when the tests run as root
    submissions, [warning] = collect_submissions([tmp_path])
    assert [s.student for s in submissions] == ["bob"]
    assert re.match(r"alice: cannot read .*alice\.ipynb: Permission denied; skipped it", warning)


def test_folders_of_notebooks_named_like_the_assignment_are_told_apart_by_folder(tmp_path):
    for student in ("alice", "bob"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "temperature.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    submissions, warnings = collect_submissions([tmp_path], assignment="temperature")
    assert [s.student for s in submissions] == ["alice", "bob"] and not warnings


def test_a_plain_student_named_like_the_assignment_does_not_make_everyone_a_suspect(tmp_path):
    folder = make_folder(tmp_path / "class", {
        "temperature.ipynb": notebook("saved as it was sent"), "alice/temperature.ipynb": notebook(),
        "bob/temperature.ipynb": notebook()})
    submissions, warnings = collect_submissions([folder], assignment="temperature")
    assert [s.student for s in submissions] == ["alice", "bob", "temperature"] and warnings == []
