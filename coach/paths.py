"""Where coach's own files live: the problem bank, whether installed or in a checkout."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from coach.errors import CoachError

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bank_dir() -> Path:
    """The folder holding problems/ and reference_solutions/.

    A wheel carries them inside the package (coach/_bank); a checkout or an editable
    install has them at the repository's top level.
    """
    bundled = PACKAGE_DIR / "_bank"
    return bundled if (bundled / "problems").is_dir() else PACKAGE_DIR.parent


def reference_solution(problem_id: str, spec_file: Path | None = None) -> Path:
    """The reference solution beside the problems folder a spec came from (or the bank's)."""
    folder = spec_file.parent.parent if spec_file else bank_dir()
    return folder / "reference_solutions" / f"{problem_id}.py"


def home_dir() -> Path:
    """coach's own folder: `$COACH_HOME`, else the platform's user data folder; created here."""
    configured = os.environ.get("COACH_HOME", "").strip()
    if configured:
        path = Path(configured).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("coach", appauthor=False))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CoachError(
            f"cannot create the coach folder {path} ({reason}); set COACH_HOME to a writable folder"
        ) from exc
    return path
