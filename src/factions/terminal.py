"""Terminal output that user text cannot subvert.

Names, titles and messages in a scenario are the user's text; printed as they are, a name
like ``Cars [/bold]`` is read as Rich markup (and crashes the print with a MarkupError), and
one holding ``\\x1b[31m`` drives the terminal (an escape-sequence injection). The command
line prints through :class:`SafeConsole`, which

- never reads markup in what it prints (styles are given as ``style=`` arguments instead),
  so brackets are shown as they are, in tables, titles and lines alike;
- shows control characters (C0, DEL, C1 and the bidirectional overrides) as visible escapes
  (``\\x1b``, ``\\u202e``) instead of sending them to the terminal.

:func:`visible` is the same sanitiser for text printed some other way.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = ["SafeConsole", "visible"]

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: str) -> str:
    """``text`` with every control character replaced by a visible escape (``\\x1b``)."""
    return _CONTROL.sub(_escape, text)


class SafeConsole(Console):
    """A Rich console that never reads markup and shows control characters as escapes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["markup"] = False
        kwargs.setdefault("highlight", False)
        kwargs.setdefault("emoji", False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(visible(text), **kwargs)
