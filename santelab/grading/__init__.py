"""Grading a class: `santelab grade` (nbgrader's autograde, parallel and isolated)."""

from santelab.grading.command import register

__all__ = ["register"]
