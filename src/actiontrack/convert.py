"""The one converter between models and plain data (JSON-ready dicts and lists).

Every adapter converts through here; no model has a ``to_dict``. Conversion
is strict, because plain data comes from files people can edit:

- ``123`` is not silently the text ``"123"``, and ``True`` is not the number 1;
- text never holds the NUL character or a lone surrogate;
- ``"abc"`` is not a list of letters;
- a date is ``"YYYY-MM-DD"``, and a day that exists (``"2026-02-30"`` is
  refused as not a real day); a moment is ISO 8601 with its UTC offset;
- an enumeration takes only its listed values;
- keys the model does not have are refused;
- a model's own check of a setting (a :class:`~actiontrack.errors.ConfigError`
  naming it) is reported at that setting's path.

A failure raises :class:`~actiontrack.errors.ConversionError` whose
``problems`` name each path and what was expected::

    $.actions[3].target_date: expected a date as YYYY-MM-DD, got '31/03/2026'
"""

from __future__ import annotations

import enum
import math
import re
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.v import transform_error

from actiontrack.errors import ConfigError, ConversionError
from actiontrack.formatting import no_such_day

__all__ = ["field_values", "impossible_day", "structure", "unstructure"]

T = TypeVar("T")


class _Expected(TypeError):
    """Raised by the strict hooks; its message is the whole explanation."""


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _structure_str(value: object, cls: type) -> Any:
    if cls is not str:
        return _structure_enum(value, cls)
    if type(value) is str:
        if "\x00" in value:  # never typed by a person; PostgreSQL cannot even store it
            raise _Expected("text must not contain the NUL character (\\x00)")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, as a broken "\\udc70" escape gives
                raise _Expected("text must be valid Unicode (it holds a lone surrogate)") from None
        return value
    raise _Expected(f"expected text, got {_describe(value)}")


def _unstructure_text(value: str) -> str:
    return value.value if isinstance(value, enum.Enum) else value


def _structure_int(value: object, cls: type) -> Any:
    if cls is bool:
        if type(value) is bool:
            return value
        raise _Expected(f"expected true or false, got {_describe(value)}")
    if type(value) is int:
        return value
    raise _Expected(f"expected a whole number, got {_describe(value)}")


def _structure_float(value: object, _: type) -> float:
    # A figure: a whole number or a decimal, never true or false, never NaN or infinity
    # (JSON has neither, and no partnership counts them).
    if type(value) in (int, float) and math.isfinite(value):  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    raise _Expected(f"expected a number, got {_describe(value)}")


def impossible_day(value: object) -> str | None:
    """Why ``value``, text in the form YYYY-MM-DD, is not a real day; else ``None``.

    ``"2026-02-30"`` gives ``"'2026-02-30' is not a real day: February 2026
    has 28 days"``. Text in any other form, and a real day, give ``None``.
    """
    if not (type(value) is str and len(value) == 10 and value[4] == "-" == value[7]):
        return None
    parts = (value[:4], value[5:7], value[8:])
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    reason = no_such_day(*(int(part) for part in parts))
    return f"{value!r} is not a real day: {reason}" if reason else None


def _structure_date(value: object, _: type) -> date:
    if type(value) is date:
        return value
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Expected(impossible_day(value)
                    or f"expected a date as YYYY-MM-DD, got {_describe(value)}")


def _structure_datetime(value: object, _: type) -> datetime:
    if type(value) is datetime and value.tzinfo is not None:
        return value
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise _Expected(
        f"expected a moment as ISO 8601 with its UTC offset, got {_describe(value)}"
    )


def _structure_enum(value: object, cls: type) -> enum.Enum:
    if not issubclass(cls, enum.Enum):
        raise TypeError(f"no strict conversion for {cls!r}")
    if isinstance(value, cls):
        return value
    if type(value) is str:
        try:
            return cls(value)
        except ValueError:
            pass
    choices = ", ".join(str(member.value) for member in cls)
    raise _Expected(f"expected one of {choices}; got {_describe(value)}")


def _optional(hook: Callable[[object, type], Any], base: type) -> Callable[[object, Any], Any]:
    def structure_optional(value: object, _: Any) -> Any:
        return None if value is None else hook(value, base)

    return structure_optional


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return getattr(cls, "__origin__", None) is tuple and len(args) == 2 and args[1] is ...


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    # Registered by class: singledispatch also routes subclasses here (every
    # StrEnum is a str, bool is an int), and the hooks pass those on.
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(datetime, _structure_datetime)
    # Optional text and dates are most fields of most records: one direct hook
    # each instead of cattrs' generic optional step, for load speed.
    for base, hook in ((str, _structure_str), (date, _structure_date)):
        converter.register_structure_hook(base | None, _optional(hook, base))
    converter.register_unstructure_hook(str, _unstructure_text)
    # A value of another type (a script passing "2027-01-31" for a date) passes through
    # as it is, for the structuring that checks every record to report with its path.
    converter.register_unstructure_hook(
        date, lambda value: value.isoformat() if isinstance(value, date) else value)
    converter.register_unstructure_hook(
        datetime, lambda value: value.isoformat() if isinstance(value, datetime) else value)

    def tuple_hook(cls: Any) -> Callable[[object, type], tuple[Any, ...]]:
        (item_type, _) = get_args(cls)
        structure_item = converter.get_structure_hook(item_type)

        def structure_tuple(value: object, _: type) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple) or isinstance(value, str):
                raise _Expected(f"expected a list, got {_describe(value)}")
            items: list[Any] = []
            problems: list[Exception] = []
            for index, item in enumerate(value):
                try:
                    items.append(structure_item(item, item_type))
                except Exception as exc:
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", ()),
                        IterableValidationNote(f"Structuring item {index}", index, item_type),
                    ]
                    problems.append(exc)
            if problems:
                raise IterableValidationError("invalid items", problems, cls)
            return tuple(items)

        return structure_tuple

    converter.register_structure_hook_factory(_is_homogeneous_tuple, tuple_hook)

    def unstructure_tuple_hook(cls: Any) -> Callable[[tuple[Any, ...]], list[Any]]:
        (item_type, _) = get_args(cls)
        unstructure_item = converter.get_unstructure_hook(item_type)
        return lambda items: [unstructure_item(item) for item in items]

    converter.register_unstructure_hook_factory(_is_homogeneous_tuple, unstructure_tuple_hook)

    def record_hook(cls: Any) -> Callable[[object, type], Any]:
        # cattrs' own hook calls .keys() on whatever it is given: a string or a
        # list escaped as a bare AttributeError instead of a problem with a path.
        structure_fields = converter.gen_structure_attrs_fromdict(cls)

        def structure_record(value: object, _: type) -> Any:
            if not isinstance(value, Mapping):
                raise _Expected(f"expected an object with named fields, got {_describe(value)}")
            return structure_fields(value, cls)

        return structure_record

    converter.register_structure_hook_factory(attrs.has, record_hook)
    return converter


_converter = _make_converter()


def unstructure(record: Any) -> Any:
    """A model (or list of models) as plain, JSON-ready data."""
    return _converter.unstructure(record)


def structure(data: Any, cls: type[T], *, path: str = "$") -> T:
    """Build a ``cls`` from plain data, or raise :class:`ConversionError` naming each path."""
    try:
        return _converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        _place_settings(exc)
        raise ConversionError(_problems(exc, path)) from None
    except (TypeError, ValueError, KeyError) as exc:  # _Expected is a TypeError
        raise ConversionError([f"{path}: {exc}"]) from None


def _place_settings(exc: BaseException) -> None:
    """Note the field of each setting a validator refused, so its path names the field.

    A model checks its values when it is built, after cattrs has structured
    every field, so cattrs files such an error under the model, not the field.
    """
    for inner in getattr(exc, "exceptions", ()):
        if isinstance(inner, ConfigError) and inner.setting:
            inner.add_note(AttributeValidationNote(f"Checking {inner.setting}", inner.setting,
                                                   None))
        else:
            _place_settings(inner)


def _problems(exc: Exception, path: str) -> list[str]:
    def describe(error: BaseException, _type: Any) -> str:
        if isinstance(error, _Expected):
            return str(error)
        if isinstance(error, ConfigError):
            return error.problem
        if isinstance(error, KeyError):
            return "required field missing"
        if isinstance(error, ForbiddenExtraKeysError):
            return "unknown field(s): " + ", ".join(sorted(error.extra_fields))
        return f"invalid value ({error})"

    lines = []
    for line in transform_error(exc, path=path, format_exception=describe):
        message, _, where = line.rpartition(" @ ")
        lines.append(f"{where}: {message}")
    return lines


_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _from_text(text: str, field_type: Any) -> Any:
    """Text as typed on a command line, as the plain value of a field of ``field_type``."""
    args = get_args(field_type)
    optional = get_origin(field_type) in (Union, types.UnionType) and type(None) in args
    base: Any = next(a for a in args if a is not type(None)) if optional else field_type
    if base is str:
        return None if optional and not text.strip() else text
    if optional and not text.strip():
        return None
    if _is_homogeneous_tuple(base):
        return [item.strip() for item in text.split(",") if item.strip()]
    if base is int:
        return int(text) if _WHOLE_NUMBER.fullmatch(text.strip()) else text
    if base is float:
        return float(text) if _NUMBER.fullmatch(text.strip()) else text
    return text.strip()


def field_values(cls: type, changes: Mapping[str, Any]) -> dict[str, Any]:
    """New values for fields of a ``cls`` record, converted to the fields' types.

    Each value is the typed value itself or its text as typed on a command
    line: a date as ``YYYY-MM-DD``, a list as items separated by commas, a
    whole number in digits, an enumeration by its value; empty text clears
    an optional field or empties a list. Every value that does not fit is
    reported at once (:class:`ConversionError`, one ``$.field`` line each).
    """
    fields = attrs.fields_dict(attrs.resolve_types(cls))
    typed: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in changes.items():
        field_type: Any = fields[name].type
        plain = _from_text(value, field_type) if isinstance(value, str) else unstructure(value)
        try:
            typed[name] = structure(plain, field_type, path=f"$.{name}")
        except ConversionError as exc:
            problems += exc.problems
    if problems:
        raise ConversionError(problems)
    return typed
