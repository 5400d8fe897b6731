"""The trusted read path: records the store itself checked when it wrote them.

Every record goes through the strict converter (:mod:`actiontrack.convert`)
when it is committed, so what a store reads back from its own writing is
already known to fit its model. Rebuilding it through every strict check
again costs most of a large plan's load. :func:`builder` makes each model
straight from its plain data instead: dates from their ISO text (or the date
a database driver gives), figures as floats (as the converter makes them),
enumerations by value, lists as tuples.

A store takes this path only for data it knows it wrote: the JSON store
when the file still has the digest it wrote, the SQL store for its rows.
Anything else (a file edited by hand) goes through the strict converter,
which names every problem with its path. A value this path cannot make is
also handed to the strict converter, for the same message.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any, Union, get_args, get_origin

import attrs

from actiontrack.domain.plan import RECORD_KINDS, Record
from actiontrack.domain.replay import PlainRecord

__all__ = ["builder", "row_builder"]


def _date(value: Any) -> date:
    return value if type(value) is date else date.fromisoformat(value)


def _optional_date(value: Any) -> date | None:
    return None if value is None else _date(value)


def _value_code(annotation: Any, expression: str, names: dict[str, Any]) -> str:
    """Source that makes a field's value of ``annotation`` from ``expression``, its plain form."""
    args = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        if inner is date:
            return f"_optional_date({expression})"
        inner_code = _value_code(inner, "value", names)
        if inner_code == "value":
            return expression
        return f"(None if ({expression}) is None else {_value_code(inner, expression, names)})"
    if annotation is date:
        return f"_date({expression})"
    if annotation is float:  # a figure written as a whole number (JSON 40) reads as 40.0
        return f"float({expression})"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        name = f"_{annotation.__name__}"
        names[name] = annotation._value2member_map_
        return f"{name}[{expression}]"
    if get_origin(annotation) is tuple:
        item_code = _value_code(args[0], "item", names)
        if item_code == "item":
            return f"tuple({expression})"
        return f"tuple({item_code} for item in {expression})"
    if attrs.has(annotation):
        name = f"_make_{annotation.__name__}"
        names[name] = _record_builder(annotation)
        return f"{name}({expression})"
    return expression  # text and whole numbers come as they are


def _compiled(cls: type, parameters: str, codes: Mapping[str, str], names: dict[str, Any],
              label: str) -> Callable[..., Any]:
    """``make(parameters)``: an instance of ``cls`` with each field set to its value's code.

    ``codes`` gives each field's code, in the order of the class's fields.
    The instance is made without calling the class: each slot is set through
    its own descriptor, as the class's ``__init__`` would, minus the keyword
    passing and the converters, whose work the values' code already did.
    That halves the cost of building an action, the bulk of loading a plan.
    """
    lines = [f"def make({parameters}):", "    self = _new(_cls)"]
    for field, code in codes.items():
        names[f"_set_{field}"] = cls.__dict__[field].__set__
        lines.append(f"    _set_{field}(self, {code})")
    lines.append("    return self\n")
    names |= {"_new": object.__new__, "_cls": cls}
    exec(compile("\n".join(lines), f"<trusted {label}>", "exec"), names)
    make: Callable[..., Any] = names["make"]
    return make


def _record_builder(cls: type) -> Callable[[PlainRecord], Any]:
    """A function made once from the class's fields, as cattrs makes its own."""
    names: dict[str, Any] = {"_date": _date, "_optional_date": _optional_date}
    codes = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.default is attrs.NOTHING:
            plain = f"plain[{field.name!r}]"
        else:  # written by a release before the field existed: its default
            names[f"_default_{field.name}"] = field.default
            plain = f"plain.get({field.name!r}, _default_{field.name})"
        codes[field.name] = _value_code(field.type, plain, names)
    return _compiled(cls, "plain", codes, names, cls.__name__)


#: make(row, lists): a record from its row and the items of its list fields (see row_builder).
RowBuilder = Callable[[Sequence[Any], Mapping[str, Mapping[str, Sequence[Any]]]], Record]


@cache
def row_builder(kind: str, columns: tuple[str, ...]) -> RowBuilder:
    """A function making a record of ``kind`` from a database row, as :func:`builder` does.

    ``columns`` names the row's values in order (``id`` among them); every
    other field is a list, found in ``lists[field][record id]`` (an item of
    a list of records is their plain data), or empty when the record has none.
    """
    cls = RECORD_KINDS[kind]
    names: dict[str, Any] = {"_date": _date, "_optional_date": _optional_date}
    position = {name: index for index, name in enumerate(columns)}
    codes = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.name in position:
            value = f"row[{position[field.name]}]"
        else:
            value = f"lists[{field.name!r}].get(row[{position['id']}], ())"
        codes[field.name] = _value_code(field.type, value, names)
    make: RowBuilder = _compiled(cls, "row, lists", codes, names, f"{cls.__name__} row")
    return make


@cache
def builder(kind: str) -> Callable[[PlainRecord], Record]:
    """A function making a record of ``kind`` from the plain data its store wrote.

    It checks nothing a commit did not: it raises (``KeyError``,
    ``ValueError``, ``TypeError``) only on data that could not have been
    written by a store, which the caller then hands to the strict converter.
    """
    return _record_builder(RECORD_KINDS[kind])
