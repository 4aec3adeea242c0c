"""Option groups: one declaration of a set of options (flags and ``Q2C_*`` variables) as a frozen
dataclass whose fields are typer ``Annotated`` options, shared by every command that takes it.

A command names the group as a parameter type (``def up(serve: ServeOptions, ...)``); ``@grouped``
spreads the group's fields into the command's signature for typer, and hands the command one
instance built from the parsed values, so each settings object is built once, in one place.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, get_type_hints

F = TypeVar("F", bound=Callable[..., Any])
SEPARATOR = "__"


def _is_group(annotation: Any) -> bool:
    return isinstance(annotation, type) and dataclasses.is_dataclass(annotation)


def _fields(group: type[Any]) -> list[tuple[str, Any, Any]]:
    hints = get_type_hints(group, include_extras=True)
    return [
        (f.name, hints[f.name], inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
        for f in dataclasses.fields(group)
    ]


def grouped(command: F) -> F:
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, type[Any]] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command).parameters.values():
        annotation = hints.get(parameter.name, parameter.annotation)
        if not _is_group(annotation):
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
            continue
        groups[parameter.name] = annotation
        for name, field_annotation, default in _fields(annotation):
            parameters.append(
                inspect.Parameter(
                    f"{parameter.name}{SEPARATOR}{name}",
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=field_annotation,
                    default=default,
                )
            )

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        for group_name, group in groups.items():
            prefix = f"{group_name}{SEPARATOR}"
            own = {key[len(prefix) :]: values.pop(key) for key in list(values) if key.startswith(prefix)}
            values[group_name] = group(**own)
        return command(**values)

    # typer reads the signature (and the annotations) of what it is given.
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    del wrapper.__wrapped__  # so that inspect.signature does not follow it back to the original
    return wrapper  # type: ignore[return-value]
