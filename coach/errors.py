"""Errors that are displayed to the user as one line, and the exit statuses."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What `coach` returns to the shell."""

    OK = 0
    BELOW_MIN_SCORE = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class CoachError(Exception):
    """A problem with the user's input, displayed to the user as one line; exit status 2."""

    exit_status = ExitStatus.USAGE


class UnknownProblem(CoachError):
    """No problem has the id or alias asked for."""
