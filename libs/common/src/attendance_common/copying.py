"""One object made of another's same-named attributes: a row as its API model shows it, a row as a
sender needs it, a request's fields as a rule reads them. Only the fields that differ are written out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def field_names(model: type[Any]) -> list[str]:
    """The fields of a pydantic model or a dataclass."""
    if issubclass(model, BaseModel):
        return list(model.model_fields)
    return [f.name for f in dataclasses.fields(model)]


def attributes(source: object, names: Iterable[str]) -> dict[str, Any]:
    """`source`'s attributes of these names, by name."""
    return {name: getattr(source, name) for name in names}


def copy_as(model: type[T], source: object, **own: Any) -> T:
    """A `model` (pydantic model or dataclass) whose fields are `source`'s attributes of the same
    names, but for those given in `own` (which must also give any field `source` has no attribute for)."""
    return model(**attributes(source, (n for n in field_names(model) if n not in own)), **own)
