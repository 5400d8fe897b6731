"""Personal data in free text: what the audit's rule and the chase's guard both look for.

Plans travel by email, and pseudonyms are used for a reason.
:func:`find_personal_data` looks for NHS numbers (only those that pass the
modulus 11 check), dates of birth (a date next to "DOB", "date of birth" or
"born"), UK postcodes, UK phone numbers and email addresses, and says what
kind it found with a masked hint, never the data itself.
"""

from __future__ import annotations

import re

__all__ = ["find_personal_data", "is_nhs_number"]

_NHS = re.compile(r"(?<![\d/.-])(\d{3})[ .-]?(\d{3})[ .-]?(\d{4})(?![\d/-])")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
         rf"|\d{{1,2}}-{_MONTH}-\d{{2,4}}"
         rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
         r"|\d{4}-\d{2}-\d{2})")
# "DOB: 12/03/2015", "date of birth is 12 March 2015", "DOB \u2013 12-Mar-2015" (Word's en dash).
_BIRTH = re.compile(
    rf"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born(?:\s+on)?)(?:\s+is)?\s*[:\-\u2013\u2014]?\s*"
    rf"({_DATE})",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"
)
# "(020) 7946 0018": the area code may sit in brackets.
_PHONE = re.compile(
    r"(?<![\w/+.-])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d\)?[\s-]?){8,9}\d(?![\w/])"
)
_STARTS_WITH_DATE = re.compile(r"\(?\d{1,2}[.-]\d{1,2}[.-]\d{2,4}")
#: Service lines a plan may cite (0800/0808 free, 03 non-geographic, 0845/0870):
#: a helpline is not a person's number.
_SERVICE_LINE = re.compile(r"0(?:80[08]|3\d\d|84[45]|87[01])")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
#: A postcode's inward code (a digit, two capitals) and the words a birth date follows.
_POSTCODE_TAIL = re.compile(r"\d[ABD-HJLNP-UW-Z]{2}")
_BIRTH_WORD = re.compile(r"[Dd]\.?[Oo]\.?[Bb]|[Bb][Ii][Rr][Tt][Hh]|[Bb][Oo][Rr][Nn]")
_NO_DIGITS = str.maketrans("", "", "0123456789")


def is_nhs_number(digits: str) -> bool:
    """Whether ten digits pass the NHS number's modulus 11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _mask(text: str, shown: int = 2) -> str:
    """The first characters, the rest hidden: enough to find it, not to read it."""
    return text[:shown] + "".join("*" if ch.isalnum() else ch for ch in text[shown:])


def _may_hold_personal_data(text: str) -> bool:
    """What every pattern needs, checked cheaply: most free text has none of it.

    An email needs an @; an NHS or phone number nine digits or more; a
    postcode its inward code; a date of birth a word that introduces it.
    """
    return ("@" in text or len(text) - len(text.translate(_NO_DIGITS)) >= 9
            or _POSTCODE_TAIL.search(text) is not None or _BIRTH_WORD.search(text) is not None)


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """The kinds of personal data in ``text``, each with a masked hint, in order found."""
    if not _may_hold_personal_data(text):
        return []
    found: list[tuple[int, str, str]] = []
    nhs_spans: list[tuple[int, int]] = []
    for match in _NHS.finditer(text):
        if is_nhs_number("".join(match.groups())):
            found.append((match.start(), "an NHS number", _mask(match.group(0))))
            nhs_spans.append(match.span())
    for match in _BIRTH.finditer(text):
        # Even the day of a birth date narrows down who it is: show none of it.
        found.append((match.start(), "a date of birth", _mask(match.group(1), shown=0)))
    for match in _POSTCODE.finditer(text):
        found.append((match.start(), "a postcode", _mask(match.group(0))))
    for match in _PHONE.finditer(text):
        # A number already reported as an NHS number is not reported again as a phone
        # number; any other number passes the NHS check one time in eleven by chance.
        number = match.group(0).strip()
        digits = re.sub(r"\D", "", number)
        national = "0" + digits[2:] if digits.startswith("44") else digits
        if (_STARTS_WITH_DATE.match(number) or _SERVICE_LINE.match(national)
                or any(start < match.end() and match.start() < end for start, end in nhs_spans)):
            continue
        found.append((match.start(), "a phone number", _mask(number)))
    for match in _EMAIL.finditer(text):
        found.append((match.start(), "an email address", _mask(match.group(0))))
    return [(kind, hint) for _, kind, hint in sorted(found)]
