"""Collecting an LMS download (folder or zip) into the submitted/ layout."""

import zipfile

import pytest

from dlcourse.grading.collect import collect_files
from dlcourse.grading.pipeline import Course

CH = "ch01-neurons"


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
