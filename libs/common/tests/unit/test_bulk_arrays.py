"""The array literals the PostgreSQL bulk reads and writes send as one text parameter each."""

from __future__ import annotations

import datetime as dt

from attendance_common.bulk import date_array, int_array, plain_array, text_array


def test_integers_and_dates_are_comma_separated_in_braces():
    assert int_array([3, -1, 20]) == "{3,-1,20}"
    assert date_array([dt.date(2026, 11, 16), dt.date(2026, 12, 1)]) == "{2026-11-16,2026-12-01}"


def test_empty_arrays_are_empty_braces():
    assert (int_array([]), date_array([]), text_array([])) == ("{}", "{}", "{}")


def test_every_string_is_quoted_so_null_stays_a_string():
    assert text_array(["A801200115001", "NULL", ""]) == '{"A801200115001","NULL",""}'


def test_quotes_and_backslashes_are_escaped_and_other_characters_kept():
    assert text_array(['a"b', "c\\d", "e,f {g}"]) == '{"a\\"b","c\\\\d","e,f {g}"}'


def test_none_is_null_and_the_string_null_is_not():
    assert plain_array([1, None, 3]) == "{1,NULL,3}"
    assert plain_array([dt.date(2026, 1, 2), None]) == "{2026-01-02,NULL}"
    assert text_array(["NULL", None, 'q"']) == '{"NULL",NULL,"q\\""}'
