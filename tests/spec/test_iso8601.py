"""ivoa_eb_spec.iso8601: every accepted and refused form, the messages, and round trips."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ivoa_eb_spec import load_yaml
from ivoa_eb_spec.iso8601 import (
    StartWindow,
    TimeFormatError,
    format_duration,
    format_instant,
    format_window,
    parse_duration,
    parse_instant,
    parse_start,
)

PATTERNS = {name: d["pattern"] for name, d in load_yaml("schema/time.yaml")["$defs"].items()}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- instants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T09:30:00Z", at(2026, 3, 1, 9, 30)),
        ("2026-03-01T09:30:15.25Z", at(2026, 3, 1, 9, 30, 15, 250000)),
        ("2026-03-01T09:30:15.123456789Z", at(2026, 3, 1, 9, 30, 15, 123456)),
        ("2026-03-01T09:30:00+05:30", at(2026, 3, 1, 4, 0)),
        ("2026-03-01T09:30:00-11:00", at(2026, 3, 1, 20, 30)),
        ("2026-03-01T09:30:00-00:00", at(2026, 3, 1, 9, 30)),
        ("2026-03-01T00:30:00+01:00", at(2026, 2, 28, 23, 30)),
        ("2024-02-29T12:00:00Z", at(2024, 2, 29, 12)),
        ("0001-01-01T00:00:00Z", at(1, 1, 1)),
        ("9999-12-31T23:59:59.999999Z", at(9999, 12, 31, 23, 59, 59, 999999)),
    ],
)
def test_parse_instant_accepts(text: str, expected: datetime) -> None:
    value = parse_instant(text)
    assert value == expected
    assert value.tzinfo is UTC
    assert (value.year, value.hour, value.minute) == (expected.year, expected.hour, expected.minute)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-03-01", "date alone"),
        ("2026-03-01T09:30Z", "no seconds"),
        ("2026-03-01T09:30:00", "no time zone"),
        ("2026-03-01T09:30", "no time zone"),
        ("2026-03-01t09:30:00z", "upper case"),
        ("2026-03-01T09:30:00z", "upper case"),
        ("2026-03-01T09:30:00Zjunk", "'Zjunk' where only Z or an offset"),
        ("2026-03-01T09:30:00+0530", "'+0530' where only Z or an offset"),
        ("2026-03-01T09:30:00.5.5Z", "not an ISO 8601 instant"),
        ("2026-03-01T09:30:00Z\n", "white space or a line break"),
        (" 2026-03-01T09:30:00Z", "white space"),
        ("2026-03-01 09:30:00Z", "white space"),
        ("", "is empty"),
        ("20260301T093000Z", "not an ISO 8601 instant in extended format"),
        ("2026-03-01T24:00:00Z", "not an ISO 8601 instant"),
        ("2026-03-01T09:30:60Z", "not an ISO 8601 instant"),
        ("٢٠٢٦-٠٣-٠١T٠٩:٣٠:٠٠Z", "not an ISO 8601 instant"),
        ("2026-02-30T00:00:00Z", "not a real date and time"),
        ("0000-01-01T00:00:00Z", "not a real date and time"),
        ("0001-01-01T00:30:00+01:00", "out of range"),
    ],
)
def test_parse_instant_refuses(text: str, fragment: str) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_instant(text)
    message = str(caught.value)
    assert fragment in message
    assert repr(text) in message
    assert "expected YYYY-MM-DDTHH:MM:SS[.fff] followed by Z or an offset" in message


def test_parse_instant_refuses_a_non_string() -> None:
    with pytest.raises(TimeFormatError, match="must be a string, not datetime"):
        parse_instant(at(2026, 1, 1))  # type: ignore[arg-type]


def test_time_format_error_is_a_value_error() -> None:
    assert issubclass(TimeFormatError, ValueError)


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H30M", timedelta(hours=2, minutes=30)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(days=14)),
        ("P1D", timedelta(days=1)),
        ("PT1M", timedelta(minutes=1)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT1H1M1.25S", timedelta(hours=1, minutes=1, seconds=1.25)),
        ("P1DT1S", timedelta(days=1, seconds=1)),
        ("PT36H", timedelta(hours=36)),
        ("PT0.000001S", timedelta(microseconds=1)),
        ("P999999999D", timedelta(days=999999999)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("P1Y", "years or months, whose length depends on the calendar"),
        ("P1M", "give the length in days"),
        ("P1Y2M3DT4H", "years or months"),
        ("-PT1H", "is negative"),
        ("-P1D", "is negative"),
        ("PT0S", "is zero"),
        ("P0D", "is zero"),
        ("PT0.0000001S", "is zero (or below a microsecond)"),
        ("P", "has no value"),
        ("PT", "has no value"),
        ("P1DT", "has no value"),
        ("P1W2D", "combines weeks"),
        ("P1WT1H", "combines weeks"),
        ("PT1,5S", "',' as decimal mark"),
        ("PT1.5H", "fraction outside the seconds"),
        ("P1.5D", "fraction outside the seconds"),
        ("pt1h", "upper case"),
        ("PT1H\n", "white space or a line break"),
        ("PT1S1M", "not an ISO 8601 duration"),
        ("1H", "not an ISO 8601 duration"),
        ("P٣D", "not an ISO 8601 duration"),
        ("P1000000000D", "out of range"),
    ],
)
def test_parse_duration_refuses(text: str, fragment: str) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert fragment in message
    assert repr(text) in message
    assert "expected a positive ISO 8601 duration PnW or PnDTnHnMnS" in message


# --- requested starts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2026-03-01T09:00:00Z", at(2026, 3, 1, 9), at(2026, 3, 1, 9)),
        (
            "2026-03-01T09:00:00Z/2026-03-01T17:00:00Z",
            at(2026, 3, 1, 9),
            at(2026, 3, 1, 17),
        ),
        ("2026-03-01T09:00:00Z/PT8H", at(2026, 3, 1, 9), at(2026, 3, 1, 17)),
        ("2026-03-01T09:00:00+01:00/P1D", at(2026, 3, 1, 8), at(2026, 3, 2, 8)),
        ("2026-03-01T09:00:00Z/P2W", at(2026, 3, 1, 9), at(2026, 3, 15, 9)),
        ("2026-03-01T09:00:00Z/2026-03-01T09:00:00Z", at(2026, 3, 1, 9), at(2026, 3, 1, 9)),
        ("2026-03-01T10:00:00+01:00/2026-03-01T09:00:00Z", at(2026, 3, 1, 9), at(2026, 3, 1, 9)),
    ],
)
def test_parse_start_accepts(text: str, earliest: datetime, latest: datetime) -> None:
    assert parse_start(text) == StartWindow(earliest, latest)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("PT1H/2026-03-01T09:00:00Z", "duration/end (ISO 8601 interval type 3)"),
        ("PT1H", "a bare duration (ISO 8601 interval type 4)"),
        ("-PT1H", "a bare duration (ISO 8601 interval type 4)"),
        ("R5/2026-03-01T09:00:00Z/PT1H", "repeating interval"),
        ("R/2026-03-01T09:00:00Z/PT1H", "repeating interval"),
        ("2026-03-01T17:00:00Z/2026-03-01T09:00:00Z", "ends before it starts"),
        ("2026-03-01T09:00:00Z/PT1H/PT1H", "more than one '/'"),
        ("9999-12-31T23:00:00Z/PT2H", "ends after the year 9999"),
        ("2026-03-01/PT2H", "instant '2026-03-01' is a date alone"),
        ("2026-03-01T09:00:00Z/2026-03-02", "instant '2026-03-02' is a date alone"),
        ("2026-03-01T09:00:00Z/P1M", "years or months"),
        ("2026-03-01T09:00:00Z/-PT1H", "is negative"),
        ("2026-03-01T09:00:00Z/PT0S", "is zero"),
        ("2026-03-01T09:00:00Z/", "instant '' is empty"),
        ("/2026-03-01T09:00:00Z", "instant '' is empty"),
        ("2026-03-01T09:00:00Z/17:00Z", "not an ISO 8601 instant"),
        ("2026-03-01T09:00:00Z/PT8H\n", "white space or a line break"),
    ],
)
def test_parse_start_refuses(text: str, fragment: str) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_start(text)
    message = str(caught.value)
    assert fragment in message
    assert repr(text) in message


def test_parse_start_refusals_name_the_accepted_forms() -> None:
    with pytest.raises(TimeFormatError, match="expected an instant, start/end or start/duration"):
        parse_start("PT1H/2026-03-01T09:00:00Z")


# --- StartWindow ----------------------------------------------------------------------------


def test_window_contains_both_ends_and_nothing_outside() -> None:
    w = StartWindow(at(2026, 3, 1, 9), at(2026, 3, 1, 17))
    assert w.contains(at(2026, 3, 1, 9))
    assert w.contains(at(2026, 3, 1, 17))
    assert w.contains(datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=3))))
    assert not w.contains(at(2026, 3, 1, 8, 59, 59, 999999))
    assert not w.contains(at(2026, 3, 1, 17, 0, 0, 1))


def test_window_of_one_instant_contains_only_it() -> None:
    w = parse_start("2026-03-01T09:00:00Z")
    assert w.contains(at(2026, 3, 1, 9))
    assert not w.contains(at(2026, 3, 1, 9, 0, 1))


def test_window_refuses_naive_and_reversed() -> None:
    with pytest.raises(ValueError, match="aware"):
        StartWindow(datetime(2026, 3, 1), at(2026, 3, 2))
    with pytest.raises(ValueError, match="before earliest"):
        StartWindow(at(2026, 3, 2), at(2026, 3, 1))
    with pytest.raises(ValueError, match="aware"):
        StartWindow(at(2026, 3, 1), at(2026, 3, 2)).contains(datetime(2026, 3, 1, 12))


def test_window_is_frozen() -> None:
    w = StartWindow(at(2026, 3, 1), at(2026, 3, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.earliest = at(2026, 1, 1)  # type: ignore[misc]


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (at(2026, 3, 1, 9, 30), "2026-03-01T09:30:00Z"),
        (at(2026, 3, 1, 9, 30, 15, 250000), "2026-03-01T09:30:15.25Z"),
        (at(2026, 3, 1, 9, 30, 15, 1), "2026-03-01T09:30:15.000001Z"),
        (
            datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2026-03-01T04:00:00Z",
        ),
        (at(1, 1, 1), "0001-01-01T00:00:00Z"),
    ],
)
def test_format_instant(value: datetime, text: str) -> None:
    assert format_instant(value) == text


def test_format_instant_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_instant(datetime(2026, 3, 1))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=2, minutes=30), "PT2H30M"),
        (timedelta(days=1), "P1D"),
        (timedelta(weeks=2), "P14D"),
        (timedelta(milliseconds=500), "PT0.5S"),
        (timedelta(days=1, seconds=1), "P1DT1S"),
        (timedelta(hours=36), "P1DT12H"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (timedelta(minutes=1, seconds=0.25), "PT1M0.25S"),
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize("value", [timedelta(0), timedelta(seconds=-1)])
def test_format_duration_refuses_zero_and_negative(value: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        format_duration(value)


def test_format_window() -> None:
    assert format_window(StartWindow(at(2026, 3, 1, 9), at(2026, 3, 1, 9))) == (
        "2026-03-01T09:00:00Z"
    )
    assert format_window(StartWindow(at(2026, 3, 1, 9), at(2026, 3, 1, 17))) == (
        "2026-03-01T09:00:00Z/2026-03-01T17:00:00Z"
    )


# --- properties -----------------------------------------------------------------------------

OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
UTC_INSTANTS = st.datetimes(timezones=st.just(UTC))
ANY_INSTANTS = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
)
DURATIONS = st.timedeltas(min_value=timedelta(microseconds=1))


@given(UTC_INSTANTS)
def test_instant_round_trip(value: datetime) -> None:
    text = format_instant(value)
    assert parse_instant(text) == value
    assert re.search(PATTERNS["Instant"], text)


@given(ANY_INSTANTS)
def test_instant_round_trip_from_any_offset(value: datetime) -> None:
    back = parse_instant(format_instant(value))
    assert back == value
    assert back.utcoffset() == timedelta(0)


@given(DURATIONS)
def test_duration_round_trip(value: timedelta) -> None:
    text = format_duration(value)
    assert parse_duration(text) == value
    assert re.search(PATTERNS["Duration"], text)
    assert text != "PT0S"


@given(UTC_INSTANTS, UTC_INSTANTS)
def test_window_round_trip(a: datetime, b: datetime) -> None:
    window = StartWindow(min(a, b), max(a, b))
    text = format_window(window)
    assert parse_start(text) == window
    assert re.search(PATTERNS["Interval"], text)


@given(UTC_INSTANTS, DURATIONS)
def test_start_plus_duration(start: datetime, length: timedelta) -> None:
    text = f"{format_instant(start)}/{format_duration(length)}"
    try:
        end = start + length
    except OverflowError:
        with pytest.raises(TimeFormatError, match="after the year 9999"):
            parse_start(text)
        return
    assert parse_start(text) == StartWindow(start, end)


PARSERS = {"Instant": parse_instant, "Duration": parse_duration, "Interval": parse_start}


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(data=st.data())
def test_code_accepts_only_what_the_pattern_lets_through(name: str, data: st.DataObject) -> None:
    """Any string: the parser accepts or raises TimeFormatError, and accepts only pattern
    matches; strings drawn from the pattern itself exercise the value checks."""
    text = data.draw(st.one_of(st.text(), st.from_regex(PATTERNS[name])))
    try:
        PARSERS[name](text)
    except TimeFormatError:
        return
    assert re.search(PATTERNS[name], text)
