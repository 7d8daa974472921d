"""A problem statement's Markdown, rendered with rich's Text alone.

Statements use a small part of Markdown: `###` headings, paragraphs, `-` lists, `**bold**`,
`` `code` `` and fenced code blocks. rich's own Markdown pulls in a full parser (markdown-it)
and the code blocks Pygments, which together cost `coach show` more than everything else it
does; this renders that subset directly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

INLINE = re.compile(r"(\*\*[^*]+\*\*|`[^`]+`)")


def inline(text: str) -> Text:
    """`**bold**` and `` `code` `` as styles; the rest as it is."""
    from rich.text import Text

    out = Text()
    for part in INLINE.split(text):
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(part[2:-2], style="bold")
        elif part.startswith("`") and part.endswith("`") and len(part) > 2:
            out.append(part[1:-1], style="cyan")
        else:
            out.append(part)
    return out


def render(markdown: str) -> list[RenderableType]:
    """The blocks of `markdown`, each a renderable (headings, paragraphs, items, code)."""
    from rich.padding import Padding
    from rich.text import Text

    def code_block(lines: list[str]) -> Padding:
        return Padding(
            Text("\n".join(lines), style="cyan", no_wrap=True, overflow="ellipsis"), (0, 0, 0, 2)
        )

    blocks: list[RenderableType] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if paragraph:
            blocks.append(inline(" ".join(paragraph)))
            paragraph.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if code is not None:
            if stripped.startswith("```"):
                blocks.append(code_block(code))
                code = None
            else:
                code.append(line)
            continue
        if stripped.startswith("```"):
            flush()
            code = []
        elif stripped.startswith("#"):
            flush()
            blocks.append(Text(stripped.lstrip("#").strip(), style="bold underline"))
        elif stripped.startswith(("- ", "* ")):
            flush()
            blocks.append(Item(inline(stripped[2:])))
        elif not stripped:
            flush()
        elif line.startswith("  ") and not paragraph and blocks and isinstance(blocks[-1], Item):
            blocks[-1].text.append(" ")  # a list item's continuation line
            blocks[-1].text.append_text(inline(stripped))
        else:
            paragraph.append(stripped)
    flush()
    if code is not None:
        blocks.append(code_block(code))
    spaced: list[RenderableType] = []
    for block in blocks:  # a blank line between blocks, none inside a list
        if spaced and not (isinstance(block, Item) and isinstance(spaced[-1], Item)):
            spaced.append(Text())
        spaced.append(block)
    return spaced


class Item:
    """A list item: a bullet, and its text wrapped under itself."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich__(self) -> RenderableType:
        from rich.table import Table

        grid = Table.grid(padding=(0, 1, 0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row("•", self.text)
        return grid
