"""Cell values both ways: what a partner may have typed, and what export writes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actiontrack.excel.cells import cell_date, cell_number, cell_text, escaped, sheet_text


@pytest.mark.parametrize(("value", "expected"), [
    (date(2027, 3, 31), date(2027, 3, 31)),
    (datetime(2027, 3, 31), date(2027, 3, 31)),
    ("31/03/2027", date(2027, 3, 31)),
    (" 1/4/2027 ", date(2027, 4, 1)),
    ("2027-03-31", date(2027, 3, 31)),
    ("31 March 2027", date(2027, 3, 31)),  # text read by the one date reader adopt uses too
    (46477, date(2027, 3, 31)),  # a date cell re-formatted as a number
    (46477.0, date(2027, 3, 31)),
    ("", None),
    (None, None),
])
def test_dates_as_partners_type_them(value: object, expected: date | None) -> None:
    """Dates, day-first text and Excel's date numbers read as dates; an empty cell as none."""
    assert cell_date(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "message"), [
    ("next week", "expected a date such as 31/03/2027, 31 March 2027, March 2027 or Q4 2026/27,"
                  " got 'next week'"),
    ("31/02/2027", "'31/02/2027' is not a real day: February 2027 has 28 days"),
    ("2027-02-31", "'2027-02-31' is not a real day: February 2027 has 28 days"),
    ("03/31/2027", "dates are read day first"),  # month first: not how England writes dates
    (12.5, "got '12.5'"),
    (12, "got '12'"),  # too small to be a date anyone means
    (True, "got 'TRUE'"),
    (datetime(2027, 3, 31, 12, 0), "expected a date without a time, got 2027-03-31 12:00"),
])
def test_what_is_not_a_date_says_what_was_found(value: object, message: str) -> None:
    """A value that is not a date is refused with a message quoting what was found."""
    with pytest.raises(ValueError) as caught:
        cell_date(value)  # type: ignore[arg-type]
    assert message in str(caught.value)


@pytest.mark.parametrize(("value", "expected"), [
    (62, 62.0),
    (3.5, 3.5),
    ("62", 62.0),  # typed into a cell formatted as text
    (" -3.5 ", -3.5),
    ("1,250", 1250.0),
    ("", None),
    (None, None),
])
def test_figures_as_partners_type_them(value: object, expected: float | None) -> None:
    """Numbers, and numbers typed as text, read as numbers; an empty cell as none."""
    assert cell_number(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["62%", "about 70", "1,2", "n/a", True,
                                   date(2026, 12, 1)])
def test_what_is_not_a_figure_says_what_was_found(value: object) -> None:
    """Words, a unit typed with the number, a date or TRUE are refused, quoting what was found."""
    with pytest.raises(ValueError, match=r"expected a number such as 62 or 3\.5") as caught:
        cell_number(value)  # type: ignore[arg-type]
    assert repr(cell_text(value)) in str(caught.value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [
    ("  DI Jones ", "DI Jones"),
    ("line one\r\nline two\rthree", "line one\nline two\nthree"),
    ("bell\x07 and \x1b escape", "bell and  escape"),
    (12.0, "12"),
    (12.5, "12.5"),
    (False, "FALSE"),
    (date(2027, 3, 31), "2027-03-31"),
    ("", None),
    ("   ", None),
])
def test_text_as_a_cell_holds_it(value: object, expected: str | None) -> None:
    """Any value reads as trimmed text with plain line breaks and no control characters."""
    assert cell_text(value) == expected  # type: ignore[arg-type]


def test_text_is_cut_to_what_a_cell_holds() -> None:
    """Text longer than a cell holds is cut to 32,767 characters."""
    assert len(sheet_text("x" * 40_000)) == 32_767


def test_text_that_looks_escaped_is_escaped_once_more() -> None:
    """Text holding an _xHHHH_ escape is escaped once more, so a reader shows it as written."""
    assert escaped("Shared_x0020_Documents") == "Shared_x005F_x0020_Documents"
    assert escaped("plain_text x0020") == "plain_text x0020"


def test_a_column_key_means_one_kind_of_value_on_every_sheet() -> None:
    """A column key holds the same kind of value on the Actions, Evidence and Measures sheets."""
    from actiontrack.excel import layout

    kinds: dict[str, set[layout.ValueKind]] = {}
    for column in (*layout.ACTION_COLUMNS, *layout.EVIDENCE_COLUMNS, *layout.MEASURE_COLUMNS):
        kinds.setdefault(column.key, set()).add(column.kind)
    assert {key: found for key, found in kinds.items() if len(found) > 1} == {}


def test_the_rule_ids_import_names_are_rules_the_domain_raises() -> None:
    """The rule ids import maps by hand must be ids the domain raises (or they rot silently)."""
    from pathlib import Path

    import actiontrack.domain
    from actiontrack.excel import merge

    sources = "".join(path.read_text() for path in
                      Path(actiontrack.domain.__file__).parent.glob("*.py"))
    for rule_id in (*merge._RULE_CELLS, *merge._GATE_HINTS):
        assert f'"{rule_id}"' in sources, rule_id
