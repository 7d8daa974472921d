"""Showing problems: the `coach list` table, the `coach show` page, examples as Python code.

rich is imported inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from coach.specs import Example, ProblemSpec, Step

_DIFFICULTY_STYLE = {"easy": "green", "medium": "yellow", "hard": "red"}
_WRAP_AT = 88  # an array literal longer than this is written one row per line
_DEFAULT_TOL = 1e-6


# ---------------------------------------------------------------------------- code


def constructor_signature(spec: ProblemSpec) -> str:
    """`LogisticRegression(learning_rate=0.1, n_iterations=1000, alpha=0.0)`."""
    name = spec.interface.class_name or "Model"
    params = ", ".join(f"{k}={_literal(v)}" for k, v in spec.interface.constructor.items())
    return f"{name}({params})"


def _literal(value: Any) -> str:
    """A Python literal for a value read from YAML."""
    if isinstance(value, dict):
        inner = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def _array(value: list[Any], indent: str = "") -> str:
    """`np.array([...])`, one row per line when the one-line form is too long."""
    flat = f"np.array({_literal(value)})"
    if len(indent) + len(flat) <= _WRAP_AT or not all(isinstance(r, list) for r in value):
        return flat
    rows = "".join(f"{indent}    {_literal(row)},\n" for row in value)
    return f"np.array([\n{rows}{indent}])"


def _expected(step: Step) -> str:
    text = _literal(step.expect)
    if step.tol != _DEFAULT_TOL and not isinstance(step.expect, (str, bool)):
        text += f"  (within {step.tol:g})"
    return text


def _shape(shape: list[int]) -> str:
    return repr(tuple(shape))


class _Namer:
    """Gives the arrays of an example variable names: X, y, then X_2, y_2, ..."""

    def __init__(self, shared: list[Any]) -> None:
        self.shared = shared  # literals that get a name rather than being written inline
        self.names: list[tuple[Any, str]] = []
        self.lines: list[str] = []

    def name_for(self, value: Any) -> str | None:
        return next((n for v, n in self.names if v == value), None)

    def bind(self, value: list[Any]) -> str:
        found = self.name_for(value)
        if found:
            return found
        base = "X" if value and all(isinstance(r, list) for r in value) else "y"
        taken = {n for _, n in self.names}
        name, i = base, 2
        while name in taken:
            name, i = f"{base}_{i}", i + 1
        self.names.append((value, name))
        self.lines.append(f"{name} = {_array(value)}")
        return name

    def arg(self, value: Any) -> str:
        value = _plain(value)
        if not isinstance(value, list):
            return _literal(value)
        if value in self.shared or self.name_for(value):
            return self.bind(value)
        return _array(value)


def _plain(value: Any) -> Any:
    """A spec's `{ints: [...]}` (an integer array, e.g. labels) as its list of numbers."""
    return list(value["ints"]) if isinstance(value, dict) and "ints" in value else value


def _shared_arrays(example: Example) -> list[Any]:
    """Array literals worth a name: repeated ones, and those in a call taking several arrays."""
    seen: list[Any] = []
    shared: list[Any] = []
    for step in example.steps:
        if step.new is not None or step.get is not None:
            continue
        values = (_plain(a) for a in (*step.args, *step.kwargs.values()))
        arrays = [a for a in values if isinstance(a, list)]
        for a in arrays:
            if (a in seen or len(arrays) > 1) and a not in shared:
                shared.append(a)
            seen.append(a)
    return shared


def example_code(spec: ProblemSpec, example: Example) -> str:
    """The steps of a visible example written as the Python a candidate would type."""
    return "".join(
        f"{line}\n" for arrays, code in step_code(spec, example) for line in arrays + code
    )


def step_code(spec: ProblemSpec, example: Example) -> list[tuple[list[str], list[str]]]:
    """Per step of an example: the lines that name its arrays (`X = np.array(...)`), then
    the lines that run it, each check followed by what it expects (`# -> [0, 1]`)."""
    namer = _Namer(_shared_arrays(example))
    out: list[tuple[list[str], list[str]]] = []
    for step in example.steps:
        if step.new is not None:
            name = spec.interface.class_name or "Model"
            params = ", ".join(f"{k}={_literal(v)}" for k, v in step.new.items())
            out.append(([], [f"model = {name}({params})"]))
            continue
        namer.lines = []
        if step.get is not None:
            expr = f"model.{step.get}"
            if step.shape is not None and _is_list(spec, step.get):
                expr = f"np.asarray({expr})"
        else:
            parts = [namer.arg(a) for a in step.args]
            parts += [f"{k}={namer.arg(v)}" for k, v in step.kwargs.items()]
            target = f"model.{step.call}" if step.call is not None else step.function
            expr = f"{target}({', '.join(parts)})"
        out.append((list(namer.lines), _checked(expr, step)))
    return out


def _is_list(spec: ProblemSpec, attribute: str) -> bool:
    """Whether the interface documents an attribute as a list (which has no .shape)."""
    doc = spec.interface.attributes.get(attribute, "")
    return doc.lower().startswith("list")


def _checked(expr: str, step: Step) -> list[str]:
    """The expression of a step, followed by what its checks expect to see."""
    checks: list[tuple[str, str]] = []
    if step.expect is not None:
        checks.append(("{}", _expected(step)))
    if step.shape is not None:
        checks.append(("{}.shape", _shape(step.shape)))
    if step.finite:
        checks.append(("np.all(np.isfinite({}))", "True"))
    if not checks:
        return [expr]
    if len(checks) == 1:
        template, value = checks[0]
        return [f"{template.format(expr)}  # -> {value}"]
    lines = [f"out = {expr}"]
    lines += [f"{template.format('out')}  # -> {value}" for template, value in checks]
    return lines


# ---------------------------------------------------------------------------- rich


def _score(score: float | None) -> str:
    return "—" if score is None else f"{round(score, 1):g}"


def render_list(
    console: Console,
    specs: list[ProblemSpec],
    best_scores: dict[str, float] | None = None,
) -> None:
    """The `coach list` table, most frequently asked first."""
    from rich.table import Table

    best_scores = best_scores or {}
    table = Table(title="Problems", title_justify="left", header_style="bold")
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("difficulty")
    table.add_column("minutes", justify="right")
    table.add_column("frequency", justify="right")
    table.add_column("best", justify="right")
    for spec in sorted(specs, key=lambda s: (s.frequency, s.id)):
        style = _DIFFICULTY_STYLE.get(spec.difficulty, "")
        table.add_row(
            spec.id,
            spec.title,
            f"[{style}]{spec.difficulty}[/]" if style else spec.difficulty,
            str(spec.minutes),
            f"#{spec.frequency}",
            _score(best_scores.get(spec.id)),
        )
    console.print(table)
    if specs:
        console.print("[dim]coach show ID for the statement; coach start ID to practise.[/]")


def render_show(console: Console, spec: ProblemSpec, *, in_session: bool = False) -> None:
    """The `coach show` page: statement, required interface, time limit, examples."""
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    from coach.statement import render

    style = _DIFFICULTY_STYLE.get(spec.difficulty, "")
    console.print(Rule(Text(spec.title, style="bold"), align="left"))
    facts = Text()
    facts.append(spec.id, style="cyan")
    if spec.aliases:
        facts.append(f" ({', '.join(spec.aliases)})", style="dim")
    facts.append("  ·  ")
    facts.append(spec.difficulty, style=style)
    facts.append(f"  ·  time limit {spec.minutes} minutes  ·  frequency #{spec.frequency}")
    console.print(facts)
    console.print()
    for block in render(spec.statement):
        console.print(block)
    console.print()

    console.print(Rule("Required interface", align="left"))
    iface = spec.interface
    if iface.class_name:
        console.print(Text(constructor_signature(spec), style="cyan"))
    sections = [
        ("method", iface.methods, "model."),
        ("attribute", iface.attributes, "model."),
        ("function", iface.functions, ""),
    ]
    for label, entries, prefix in sections:
        if not entries:
            continue
        table = Table(show_edge=False, box=None, padding=(0, 2, 0, 0), header_style="bold")
        table.add_column(label, style="cyan", no_wrap=True)
        table.add_column("what it does" if label != "attribute" else "what it holds")
        for name, doc in entries.items():
            table.add_row(f"{prefix}{name}", doc)
        console.print(table)
        console.print()

    if spec.examples:
        console.print(Rule("Examples", align="left"))
        for i, example in enumerate(spec.examples, 1):
            console.print(Text(f"Example {i}: {example.title}", style="bold"))
            code = example_code(spec, example)
            console.print(Text(code, style="cyan"))
        console.print()
    if not in_session:
        console.print(
            f"[dim]coach start {spec.id} writes a starter file and starts a "
            f"{spec.minutes}-minute session.[/]"
        )


def render_check(
    console: Console, spec: ProblemSpec, path: Any, results: list[Any], *, in_session: bool = False
) -> None:
    """The outcome of `coach check`: each visible example by number and name, passed or not;
    for a failure the line of the example it ran (with what it expects) and the line of the
    candidate's file it failed at. No score."""
    from rich.markup import escape

    passed = sum(1 for r in results if r.passed)
    console.print(f"[bold]{escape(str(path))}[/] — {escape(spec.title)}: visible examples")
    for r in results:
        mark = "[green]✓[/]" if r.passed else "[red]✗[/]"
        console.print(f"  {mark} Example {r.number}: {escape(r.title)}")
        if r.passed:
            continue
        for line in r.code:
            console.print(f"      [cyan]{escape(line)}[/]", soft_wrap=False)
        console.print(f"    {escape(r.message)}")
        if r.line and f"at line {r.line}" not in r.message:
            source = f": {escape(r.source)}" if r.source else ""
            console.print(f"    at [bold]{escape(path_name(path))}[/] line {r.line}{source}")
    colour = "green" if passed == len(results) else "yellow"
    grade = "`grade`" if in_session else "`coach grade`"
    console.print(
        f"[{colour}]{passed}/{len(results)} examples pass[/]. "
        f"These are only the visible examples; {grade} runs the hidden probes."
    )


def path_name(path: Any) -> str:
    """A file's name, for a line of it."""
    from pathlib import Path

    return Path(str(path)).name
