"""`coach solution`: the reference solution, highlighted, with a note at each line that avoids
one of the catalogued mistakes.

The notes come from patterns of the code itself (a clip before a log, a max shift before an
exp, a copy rather than an in-place change...), so every reference solution gets them without
being edited. A line may also carry its own `# avoids: MISTAKE-ID: note` comment, which wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from coach.specs import ProblemSpec


@dataclass(frozen=True)
class Note:
    mistake: str
    text: str


# (pattern on one line of code, mistake id, note); the first rule that matches a line wins
_RULES: tuple[tuple[str, str, str], ...] = (
    (r"np\.clip\(.*(1e-|EPS|eps)", "log-of-zero", "clipped before log"),
    (r"^\s*EPS\s*=\s*1e-1", "log-of-zero", "the floor that keeps log off 0"),
    (r"np\.exp\(\s*-\s*np\.abs\(", "exp-overflow", "exp of -|z| cannot overflow"),
    (r"np\.where\(\s*\w+\s*>=\s*0", "exp-overflow", "a stable form for each sign"),
    (r"np\.logaddexp|log1p\(np\.exp\(-np\.abs", "exp-overflow", "log(1 + e^z), no overflow"),
    (r"-\s*(np\.)?\w*\.?max\(.*keepdims", "unstable-softmax", "shift by the row max"),
    (r"-\s*np\.max\(|-\s*\w+\.max\(", "unstable-softmax", "shift by the max before exp"),
    (r"np\.linalg\.(solve|lstsq|pinv)", "matrix-inversion", "solve, never invert"),
    (r"np\.sqrt\(\s*np\.maximum\(", "negative-sqrt", "clamp to 0 before sqrt"),
    (r"np\.maximum\(.*,\s*0(\.0)?\s*\)", "negative-sqrt", "no tiny negatives"),
    (r"ddof\s*=", "variance-ddof", "n or n - 1, said explicitly"),
    (r"/\s*\(?\s*n\s*-\s*1\s*\)?", "variance-ddof", "sample covariance: n - 1"),
    (r"(\+|,)\s*(1e-\d+|EPS|eps|self\.eps\w*)\s*\)", "division-by-zero", "epsilon below"),
    (r"if\s+(len\(|np\.any\(|\w+\.any\(|\w+\.size)", "empty-cluster", "the empty case"),
    (r"-\s*self\.mean\b|=\s*X\s*-\s*.*mean\(axis=0", "uncentered-pca", "centred first"),
    (r"np\.sqrt\(\s*2(\.0)?\s*/", "bad-initialization", "He initialisation for ReLU"),
    (r"1\s*-\s*self\.beta[12]\s*\*\*", "wrong-solution", "bias correction"),
    (r"=\s*self\.\w+\s*-\s*self\.(learning_rate|lr)\s*\*", "gradient-sign", "downhill"),
    (r"-=\s*self\.(learning_rate|lr)\s*\*", "gradient-sign", "downhill"),
    (r"alpha\s*\*\s*np\.sum\(\s*self\.weights", "regularized-bias", "weights only"),
    (r"\+\s*2\s*\*\s*self\.alpha\s*\*\s*self\.weights", "wrong-gradient", "d/dw of alpha·Σw²"),
    (r"^\s*db\s*=.*mean\(", "regularized-bias", "no penalty on the bias"),
    (r"\.T\s*@", "unvectorized", "all samples in one product"),
    (r"\s@\s", "unvectorized", "all rows at once"),
    (r"np\.asarray\(\s*X\b.*dtype=float", "input-mutation", "X is only read"),
    (r"np\.asarray\(\s*y\b.*\.ravel\(\)", "wrong-axis", "y as (n,): no (n, n) broadcast"),
    (r"\.copy\(\)|np\.array\(\s*\w+\s*,\s*copy=True", "input-mutation", "a copy"),
    (r"axis\s*=\s*-?[01]", "wrong-axis", "the axis said explicitly"),
    (r"loss_history\.append", "loss-not-decreasing", "one loss per step"),
)
_COMPILED = tuple((re.compile(p), m, n) for p, m, n in _RULES)
_ALIGN_MAX = 48  # notes of longer lines are not aligned with the others
_OWN = re.compile(r"#\s*avoids:\s*([a-z-]+)\s*:?\s*(.*)$")


def _code_part(line: str) -> str:
    """The line without a trailing comment (good enough: '#' inside strings is rare here)."""
    stripped = line.lstrip()
    if stripped.startswith("#") or stripped.startswith(('"""', "'''")):
        return ""
    return line.split("  #", 1)[0]


def note_for(line: str, known: set[str] | None = None) -> Note | None:
    """The note for one line of code, if it avoids a catalogued mistake."""
    own = _OWN.search(line)
    if own and (known is None or own.group(1) in known):
        return Note(own.group(1), own.group(2).strip() or "avoided here")
    code = _code_part(line)
    if not code.strip():
        return None
    for pattern, mistake, text in _COMPILED:
        if pattern.search(code) and (known is None or mistake in known):
            return Note(mistake, text)
    return None


def annotate(source: str, known: set[str] | None = None) -> list[tuple[str, Note | None]]:
    """Each line of `source` with its note (or None); `# avoids:` comments are taken off."""
    out: list[tuple[str, Note | None]] = []
    for line in source.splitlines():
        note = note_for(line, known)
        own = _OWN.search(line)
        if own:
            line = line[: own.start()].rstrip()
        out.append((line, note))
    return out


def annotated_source(source: str, width: int = 100, known: set[str] | None = None) -> str:
    """The source with each note as a trailing comment, or on its own line above when the
    line is too long for one."""
    lines = annotate(source, known)
    fitting = [len(code) for code, note in lines if note and len(code) <= _ALIGN_MAX]
    column = max(fitting, default=0) + 2
    out: list[str] = []
    for code, note in lines:
        if note is None:
            out.append(code)
            continue
        comment = f"# ✓ {note.mistake}: {note.text}"
        at = max(column, len(code) + 2)
        if at + len(comment) > width:
            at = len(code) + 2
        if at + len(comment) <= width:
            out.append(code.ljust(at) + comment)
        else:
            indent = code[: len(code) - len(code.lstrip())]
            out.append(indent + comment)
            out.append(code)
    return "\n".join(out) + "\n"


def avoided(source: str, known: set[str] | None = None) -> dict[str, list[int]]:
    """Mistake id -> the 1-based lines of `source` that avoid it, in order of first line."""
    found: dict[str, list[int]] = {}
    for number, (_, note) in enumerate(annotate(source, known), 1):
        if note:
            found.setdefault(note.mistake, []).append(number)
    return found


def render_solution(console: Console, spec: ProblemSpec) -> None:
    """The reference solution for `spec`, highlighted, with its notes and a summary."""
    from rich.rule import Rule
    from rich.syntax import Syntax
    from rich.text import Text

    from coach.catalogue import MISTAKES
    from coach.errors import CoachError

    path = spec.reference_solution
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CoachError(f"no reference solution for {spec.id}: {exc.strerror}") from None
    known = set(MISTAKES)
    width = max(60, min(console.width, 120))
    console.print(Rule(Text(f"Reference solution: {spec.title}", style="bold"), align="left"))
    console.print(Syntax(annotated_source(source, width - 2, known), "python", theme="ansi_dark"))
    found = avoided(source, known)
    if found:
        console.print(Text("Mistakes this solution avoids", style="bold"))
        for mistake, numbers in found.items():
            line = Text("  ✓ ", style="green")
            line.append(mistake, style="bold")
            line.append(f" — {MISTAKES[mistake].title} (line{'s' if len(numbers) > 1 else ''} ")
            line.append(", ".join(str(n) for n in numbers) + ")")
            console.print(line)
        console.print(Text("coach mistakes ID explains any of them.", style="dim"))
