"""Where coach's own files live: the problem bank, whether installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bank_dir() -> Path:
    """The folder holding problems/ and reference_solutions/.

    A wheel carries them inside the package (coach/_bank); a checkout or an editable
    install has them at the repository's top level.
    """
    bundled = PACKAGE_DIR / "_bank"
    return bundled if (bundled / "problems").is_dir() else PACKAGE_DIR.parent


def reference_solution(problem_id: str) -> Path:
    return bank_dir() / "reference_solutions" / f"{problem_id}.py"
