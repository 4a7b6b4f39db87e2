import pytest
from stdnum.gb import upn as stdnum_upn

from attendance_common.identifiers import (
    UPN_LETTERS,
    IdentifierError,
    is_valid_upn,
    make_upn,
    validate_la_code,
    validate_upn,
    validate_urn,
)


def check_letter_as_domain_md_says(body: str) -> str:
    """domain.md 9, independently of stdnum: sum of value * position (2-13), mod 23."""
    total = 0
    for position, char in enumerate(body, start=2):
        # A temporary UPN's last letter weighs its place in the check alphabet.
        value = int(char) if char.isdigit() else UPN_LETTERS.index(char)
        total += value * position
    return UPN_LETTERS[total % 23]


def expect_invalid(value: str) -> IdentifierError:
    with pytest.raises(IdentifierError) as caught:
        validate_upn(value)
    assert caught.value.error_code == "invalid_upn"
    assert not is_valid_upn(value)
    return caught.value


# --- UPN ----------------------------------------------------------------------------------


def test_stdnum_documented_example_is_valid():
    assert validate_upn("B801200005001") == "B801200005001"
    assert is_valid_upn("B801200005001")


def test_lowercase_and_surrounding_spaces_are_accepted_and_compacted():
    assert validate_upn("  b801200005001 ") == "B801200005001"


def test_wrong_check_letter_is_invalid():
    error = expect_invalid("A801200005001")
    assert "check letter" in str(error)


def test_non_digit_in_the_middle_is_invalid():
    error = expect_invalid("X80120000A001")
    assert "11 digits" in str(error)


def test_unknown_la_number_is_invalid():
    error = expect_invalid("E000200005001")
    assert "000" in str(error)


@pytest.mark.parametrize("value", ["", "B80120000500", "B8012000050011"])
def test_wrong_length_is_invalid(value):
    error = expect_invalid(value)
    assert "13 characters" in str(error)


def test_identifier_error_is_a_value_error():
    with pytest.raises(ValueError):
        validate_upn("nope")


@pytest.mark.parametrize(
    ("la", "establishment", "year", "serial"),
    [
        ("801", "2000", "05", "001"),
        ("201", "1234", "24", "999"),
        ("938", "4001", "11", "123"),
        ("420", "0000", "99", "000"),
    ],
)
def test_made_upn_is_valid_and_matches_the_domain_formula(la, establishment, year, serial):
    upn = make_upn(la, establishment, year, serial)
    body = la + establishment + year + serial
    assert upn == check_letter_as_domain_md_says(body) + body
    assert stdnum_upn.is_valid(upn)
    assert validate_upn(upn.lower()) == upn


def test_make_upn_reproduces_the_stdnum_example():
    assert make_upn("801", "2000", "05", "001") == "B801200005001"


def test_temporary_upn_ending_in_a_letter_is_valid():
    upn = make_upn("801", "2000", "05", "01A")
    assert upn[-1] == "A"
    assert upn[0] == check_letter_as_domain_md_says(upn[1:])
    assert validate_upn(upn) == upn
    assert validate_upn(upn.lower()) == upn


def test_temporary_upn_with_wrong_check_letter_is_invalid():
    upn = make_upn("801", "2000", "05", "01A")
    wrong = "A" if upn[0] != "A" else "B"
    expect_invalid(wrong + upn[1:])


@pytest.mark.parametrize("last", ["I", "O", "S"])
def test_temporary_upn_cannot_end_in_i_o_or_s(last):
    body = "801200005" + "01" + last
    expect_invalid("A" + body)


@pytest.mark.parametrize("la", ["838", "839", "940", "941", "942", "943"])
def test_upn_from_an_la_created_since_2019_is_valid(la):
    # stdnum's LA list predates these authorities; their schools still issue UPNs.
    upn = make_upn(la, "2000", "22", "123")
    assert not stdnum_upn.is_valid(upn)
    assert validate_upn(upn) == upn
    assert validate_upn(upn.lower()) == upn


def test_upn_from_a_newer_la_with_wrong_check_letter_is_invalid():
    upn = make_upn("940", "2000", "22", "123")
    wrong = "A" if upn[0] != "A" else "B"
    error = expect_invalid(wrong + upn[1:])
    assert "check letter" in str(error)


@pytest.mark.parametrize(
    ("la", "establishment", "year", "serial"),
    [
        ("80", "2000", "05", "001"),
        ("801", "200", "05", "001"),
        ("801", "2000", "5", "001"),
        ("801", "2000", "05", "01"),
        ("801", "2A00", "05", "001"),
        ("801", "2000", "05", "01I"),
        ("000", "2000", "05", "001"),
    ],
)
def test_make_upn_rejects_bad_parts(la, establishment, year, serial):
    with pytest.raises(IdentifierError):
        make_upn(la, establishment, year, serial)


# --- URN and LA code ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("100001", "100001"), (" 123456 ", "123456")])
def test_six_digit_urn_is_valid(value, expected):
    assert validate_urn(value) == expected


@pytest.mark.parametrize("value", ["", "12345", "1234567", "12345a", "１２３４５６", "123 456"])
def test_urn_that_is_not_six_digits_is_invalid(value):
    with pytest.raises(IdentifierError) as caught:
        validate_urn(value)
    assert caught.value.error_code == "invalid_urn"


@pytest.mark.parametrize(("value", "expected"), [("801", "801"), (" 201", "201")])
def test_three_digit_la_code_is_valid(value, expected):
    assert validate_la_code(value) == expected


@pytest.mark.parametrize("value", ["", "80", "8011", "80a", "８０１"])
def test_la_code_that_is_not_three_digits_is_invalid(value):
    with pytest.raises(IdentifierError) as caught:
        validate_la_code(value)
    assert caught.value.error_code == "invalid_la_code"
