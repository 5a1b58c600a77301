"""Keep typer from importing pydantic for the ``--help`` flag of every command.

typer (0.2x) converts each parameter's value through a pydantic ``TypeAdapter``, built the
first time the parameter is processed. Boolean flags that arrive as booleans skip the
conversion, but ``--help`` arrives as ``None`` when it is not given, so for every command
typer builds an adapter for it, importing pydantic (about 0.1 s, half the start-up of
``factions scenarios``) to convert a ``None`` it then returns unchanged.

:class:`LeanGroup` gives the help options (its own and its commands') a pass-through
conversion instead: ``None`` stays ``None`` (typer returns it before converting) and a
given ``--help`` is a boolean, which typer does not convert. Every other parameter keeps
typer's own conversion. If typer's internals change, nothing is set and typer behaves as
before (only slower to start).
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

__all__ = ["LeanGroup"]


def _lean(option: Any) -> Any:
    """Give a help option (cached by typer) a conversion without pydantic; return it."""
    if option is None or getattr(option, "_runtime_param", False) is not None:
        return option
    try:
        from typer._coercion import PassThroughRuntimeParam

        desc = option.type_descriptor
        if desc.annotation is bool:
            option._runtime_param = PassThroughRuntimeParam(
                parameter_info=desc.parameter_info, annotation=bool
            )
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another typer
        pass
    return option


class LeanGroup(TyperGroup):
    """A typer group whose help options (and its commands') do not import pydantic."""

    def get_help_option(self, ctx: Any) -> Any:
        return _lean(super().get_help_option(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _lean(command.get_help_option(ctx))
        return command
