"""Grading a class: `santelab grade` (nbgrader's autograde, parallel and isolated) and
`santelab report` (competency reports from the gradebook)."""

from santelab.grading.command import register as register_grade
from santelab.grading.command import register_report


def register(subparsers) -> None:
    register_grade(subparsers)
    register_report(subparsers)


__all__ = ["register"]
