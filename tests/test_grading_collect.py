"""Collecting an LMS download (folder or zip) into the submitted/ layout."""

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import unicodedata
import zipfile
from pathlib import Path

import pytest

from dlcourse.grading.collect import collect_files
from dlcourse.grading.pipeline import Course

CH = "ch01-neurons"
ROOT = Path(__file__).resolve().parents[1]


def _download(folder):
    files = {
        "Ada Lovelace_1001_assignsubmission_file_/ch01-neurons.ipynb": b'{"cells": []}',
        "Alan Turing_1002_assignsubmission_file_/my notebook.ipynb": b'{"cells": [1]}',
        "Grace Hopper_1003_assignsubmission_file_/a.ipynb": b"{}",
        "Grace Hopper_1003_assignsubmission_file_/b.ipynb": b"{}",
        "Grace Hopper_1003_assignsubmission_file_/data.csv": b"1,2",
        "readme.ipynb": b"{}",
    }
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


PATTERN = r"_(?P<student>\d+)_assignsubmission"


@pytest.mark.parametrize("as_zip", [False, True])
def test_notebooks_are_placed_and_the_rest_reported(tmp_path, as_zip):
    course = Course(tmp_path / "course")
    source = _download(tmp_path / "download")
    if as_zip:
        archive = tmp_path / "download.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for p in source.rglob("*"):
                if p.is_file():
                    z.write(p, p.relative_to(source))
        source = archive
    result = collect_files(course, CH, source, PATTERN)
    assert sorted(result.placed) == ["1001", "1002"]
    placed = course.submitted / "1002" / CH / f"{CH}.ipynb"
    assert placed.read_bytes() == b'{"cells": [1]}'
    reasons = dict(result.unplaced)
    assert "1003 has 2 notebooks" in reasons["Grace Hopper_1003_assignsubmission_file_/a.ipynb"]
    assert reasons["Grace Hopper_1003_assignsubmission_file_/data.csv"] == "not a notebook"
    assert "no student id" in reasons["readme.ipynb"]
    again = collect_files(course, CH, source, PATTERN)
    assert not again.placed and all("already has" in r for n, r in again.unplaced if "1001" in n)


def test_the_pattern_needs_a_student_group(tmp_path):
    with pytest.raises(ValueError, match="group named 'student'"):
        collect_files(Course(tmp_path), CH, _download(tmp_path / "d"), r"(\d+)")


def _zip(path, members):
    """A zip of ``{name: bytes}``; a value ``("link", target)`` is a symbolic link entry."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            if isinstance(data, tuple):
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(info, data[1])
            else:
                z.writestr(name, data)
    return path


def test_symbolic_links_are_never_followed(tmp_path):
    course = Course(tmp_path / "course")
    solutions = tmp_path / "course" / "source" / CH
    solutions.mkdir(parents=True)
    (solutions / f"{CH}.ipynb").write_text('{"the": "solution"}')
    download = tmp_path / "download"
    download.mkdir()
    (download / "ada.ipynb").write_text('{"cells": []}')
    os.symlink(solutions / f"{CH}.ipynb", download / "mallory.ipynb")
    os.symlink(solutions, download / "eve")  # a folder link: eve/<chapter>.ipynb
    result = collect_files(course, CH, download)
    assert sorted(result.placed) == ["ada"]
    reasons = dict(result.unplaced)
    assert "symbolic link" in reasons["mallory.ipynb"] and "symbolic link" in reasons["eve"]
    archive = _zip(tmp_path / "d.zip", {"bob.ipynb": ("link", str(solutions / f"{CH}.ipynb")),
                                        "carol.ipynb": b"{}"})
    result = collect_files(course, CH, archive)
    assert sorted(result.placed) == ["carol"] and "symbolic link" in dict(result.unplaced)["bob.ipynb"]
    assert not (course.submitted / "bob").exists() and not (course.submitted / "eve").exists()


def test_paths_outside_the_download_are_refused(tmp_path):
    course = Course(tmp_path / "course")
    archive = _zip(tmp_path / "d.zip", {"../ada.ipynb": b"{}", "/abs/alan.ipynb": b"{}",
                                        "x/../../grace.ipynb": b"{}", "ok/linus.ipynb": b"{}"})
    result = collect_files(course, CH, archive)
    assert sorted(result.placed) == ["ok"]  # <student>/<anything>.ipynb
    reasons = dict(result.unplaced)
    assert "'..'" in reasons["../ada.ipynb"] and "'..'" in reasons["x/../../grace.ipynb"]
    assert "absolute" in reasons["/abs/alan.ipynb"]
    assert not (tmp_path / "ada.ipynb").exists() and not (tmp_path / "course" / "grace.ipynb").exists()


def test_a_zip_bomb_is_refused_and_costs_little_memory(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("mallory.ipynb", "w", force_zip64=True) as member:
            block = b" " * 2**20
            for _ in range(1024):  # 1 GB of spaces, about 1 MB compressed
                member.write(block)
        z.writestr("ada.ipynb", b'{"cells": []}')
    assert archive.stat().st_size < 2 * 2**20
    code = textwrap.dedent(f"""
        import json, resource, sys
        from dlcourse.grading import collect
        from dlcourse.grading.pipeline import Course
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        before = peak()
        honest = collect.collect_files(Course({str(tmp_path / 'course')!r}), {CH!r}, {str(archive)!r})
        honest_peak = peak()
        original = collect._zip_entries
        def lying(*args):  # a forged header that declares a tiny size: the read is cut off
            entries = original(*args)
            for entry in entries:
                entry.size = 10
            return entries
        collect._zip_entries = lying
        liar = collect.collect_files(Course({str(tmp_path / 'course2')!r}), {CH!r}, {str(archive)!r})
        print(json.dumps({{"placed": sorted(honest.placed), "unplaced": honest.unplaced,
                          "liar_placed": sorted(liar.placed), "liar_unplaced": liar.unplaced,
                          "imports_mb": before, "honest_mb": honest_peak, "liar_mb": peak()}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    for placed, unplaced in (("placed", "unplaced"), ("liar_placed", "liar_unplaced")):
        assert seen[placed] == ["ada"]
        assert "limit per notebook" in dict(map(tuple, seen[unplaced]))["mallory.ipynb"]
    # what collect itself adds to the interpreter and its imports
    assert seen["liar_mb"] - seen["imports_mb"] < 100, seen
    assert not list(tmp_path.rglob(".collect-*"))
    print("zip bomb (1 GB in", archive.stat().st_size, "bytes): peak RSS after imports",
          seen["imports_mb"], "MB, after collect", seen["honest_mb"], "MB, after a forged header",
          seen["liar_mb"], "MB")


def test_a_member_larger_than_its_header_says_is_cut_off(tmp_path, monkeypatch):
    from dlcourse.grading import collect

    archive = _zip(tmp_path / "d.zip", {"ada.ipynb": b"x" * 5000, "alan.ipynb": b"{}"})
    original = collect._zip_entries

    def lying(source, result, max_entries):  # as a forged header would declare
        entries = original(source, result, max_entries)
        for entry in entries:
            entry.size = 10
        return entries

    monkeypatch.setattr(collect, "_zip_entries", lying)
    result = collect_files(Course(tmp_path / "c"), CH, archive, max_bytes=1000)
    assert sorted(result.placed) == ["alan"]
    assert "limit per notebook" in dict(result.unplaced)["ada.ipynb"]
    assert not list((tmp_path / "c").rglob(".collect-*"))  # no partial file left behind


def test_too_many_entries_and_too_much_in_all_are_refused(tmp_path):
    course = Course(tmp_path / "course")
    archive = _zip(tmp_path / "many.zip", {f"s{i}.ipynb": b"{}" for i in range(30)})
    with pytest.raises(ValueError, match="30 entries"):
        collect_files(course, CH, archive, max_entries=20)
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(30):
        (folder / f"s{i:02d}.ipynb").write_bytes(b"{" + b" " * 100 + b"}")
    result = collect_files(course, CH, folder, max_entries=20)
    assert len(result.placed) == 20 and any("20 entries" in r for _, r in result.unplaced)
    result = collect_files(Course(tmp_path / "c2"), CH, folder, max_total=1000)
    assert len(result.placed) == 9
    assert sum("in all" in r for _, r in result.unplaced) == 21


def test_student_ids_are_kept_exactly(tmp_path):
    course = Course(tmp_path / "course")
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    assert nfc != nfd
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "jose.ipynb").write_text('{"who": "jose"}')
    (folder / f"{nfd}.ipynb").write_text('{"who": "José"}')
    (folder / "Zoë_123_assignsubmission_file_").mkdir()
    (folder / "Zoë_123_assignsubmission_file_" / "my work.ipynb").write_text('{"who": "Zoë"}')
    (folder / "李雷.ipynb").write_text('{"who": "li"}')
    (folder / "a b.ipynb").write_text("{}")
    result = collect_files(course, CH, folder)
    assert sorted(result.placed) == sorted(["jose", nfc, "Zoë", "李雷"])
    assert (course.submitted / nfc / CH / f"{CH}.ipynb").read_text() == '{"who": "José"}'
    assert (course.submitted / "jose" / CH / f"{CH}.ipynb").read_text() == '{"who": "jose"}'
    assert "characters other than" in dict(result.unplaced)["a b.ipynb"]
    # the same student typed in NFC later: the same folder, so it is kept, not duplicated
    again = tmp_path / "again"
    again.mkdir()
    (again / f"{nfc}.ipynb").write_text('{"who": "José again"}')
    result = collect_files(course, CH, again)
    assert not result.placed and "already has a submission" in dict(result.unplaced)[f"{nfc}.ipynb"]
    # ids that differ only in case would share a folder on some disks: refused
    (again / "JOSE.ipynb").write_text("{}")
    result = collect_files(course, CH, again)
    assert "only in case" in dict(result.unplaced)["JOSE.ipynb"]


@pytest.mark.parametrize("raw, why", [("", "empty"), (".hidden", "dot"), ("a/b", "separator"),
                                      ("..", "dot"), ("a b", "characters other than")])
def test_bad_student_ids_are_refused(raw, why):
    from dlcourse.grading.collect import student_id

    with pytest.raises(ValueError, match=why):
        student_id(raw)


def test_the_default_pattern_places_plain_files_folders_and_lms_names(tmp_path):
    course = Course(tmp_path / "course")
    result = collect_files(course, CH, ROOT / "autograde" / "samples" / CH)
    assert len(result.placed) == 14 and not result.unplaced
    assert "ada" in result.placed and "mary" in result.placed
    folder = tmp_path / "download"
    for name in ("grace/whatever.ipynb", "Ada Lovelace_1001_assignsubmission_file_/ch01.ipynb",
                 "lovelaceada_12345_67890_ch01.ipynb"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")
    result = collect_files(Course(tmp_path / "c2"), CH, folder)
    assert sorted(result.placed) == ["Lovelace", "grace", "lovelaceada"]


def test_the_command_places_the_bundled_samples(tmp_path, monkeypatch):
    from dlcourse.cli import main

    course = tmp_path / "course"
    shutil.copytree(ROOT / "autograde" / "samples" / CH, tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("dlcourse.commands.collect.find_root", lambda: course)
    assert main(["collect", CH, "--from", str(tmp_path / "samples")]) == 0
    assert len(list((course / "autograde" / "submitted").glob(f"*/{CH}/{CH}.ipynb"))) == 14


def test_hidden_files_are_reported_and_nothing_is_lost(tmp_path):
    course = Course(tmp_path / "course")
    folder = tmp_path / "download"
    (folder / "__MACOSX").mkdir(parents=True)
    (folder / "__MACOSX" / "._ada.ipynb").write_text("{}")
    (folder / "ada.ipynb").write_text('{"v": 1}')
    assert sorted(collect_files(course, CH, folder).placed) == ["ada"]
    (folder / "ada.ipynb").write_text('{"v": 2}')
    result = collect_files(course, CH, folder)
    reasons = dict(result.unplaced)
    assert "hidden or system" in reasons["__MACOSX/._ada.ipynb"]
    assert (course.submitted / "ada" / CH / f"{CH}.ipynb").read_text() == '{"v": 1}'
    assert sorted(collect_files(course, CH, folder, force=True).placed) == ["ada"]
    assert (course.submitted / "ada" / CH / f"{CH}.ipynb").read_text() == '{"v": 2}'
