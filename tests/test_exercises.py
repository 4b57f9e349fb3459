"""Every tutorial chapter ends with exercises, and each has a worked answer in
tutorials/exercises_answers.md (which the doctest run of tutorials/ executes)."""

import re
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
ANSWERS = (TUTORIALS / "exercises_answers.md").read_text()
CHAPTERS = sorted(p for p in TUTORIALS.glob("[0-9][0-9]_*.md") if int(p.name[:2]) not in (10, 11))


def exercises(chapter):
    text = chapter.read_text()
    assert "\n## Exercises\n" in text, f"{chapter.name} has no Exercises section"
    section = text.split("\n## Exercises\n", 1)[1]
    assert "\n## " not in section, f"{chapter.name}: the exercises must be the chapter's last section"
    return section, re.findall(r"(?m)^(\d+)\. ", section)


def test_the_chapters_are_found():
    assert [int(p.name[:2]) for p in CHAPTERS] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name[:2])
def test_every_exercise_has_a_worked_answer(chapter):
    number = int(chapter.name[:2])
    section, items = exercises(chapter)
    assert items == [str(k) for k in range(1, len(items) + 1)] and len(items) >= 2, items
    assert f"(exercises_answers.md#chapter-{number})" in section
    assert f"\n## Chapter {number}\n" in ANSWERS
    answers = ANSWERS.split(f"\n## Chapter {number}\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(rf"(?m)^\*\*{number}\.(\d+)\*\*", answers) == items


def test_the_answers_run_code():
    """Each chapter's answers hold doctest examples, so the doctest run checks them."""
    for part in ANSWERS.split("\n## Chapter ")[1:]:
        assert ">>> " in part, part.split("\n", 1)[0]
