from datetime import date

import pytest

from attendance_common.codes import (
    CLOSURE,
    CODES,
    DELETION_GROUND_CODES,
    RETIRED,
    RULES_VERSION,
    UNAUTHORISED_FOR_PENALTY,
    Category,
    Code,
    CodeError,
    Counts,
    absence_rate,
    academic_year_end,
    academic_year_label,
    academic_year_start,
    attendance_rate,
    count_codes,
    is_persistent_absence,
    is_school_day_mark,
    is_severe_absence,
    lookup,
    pooled_rate,
    summarise,
)

P = Category.present
AEA = Category.approved_educational_activity
AUTH = Category.authorised_absence
UNAUTH = Category.unauthorised_absence
NC = Category.not_counted
ADMIN = Category.administrative

# The table of domain.md section 2, written out again so a typo in either shows up.
EXPECTED_CATEGORIES = {
    "/": P,
    "\\": P,
    "L": P,
    "K": AEA,
    "V": AEA,
    "P": AEA,
    "W": AEA,
    "B": AEA,
    "C1": AUTH,
    "M": AUTH,
    "J1": AUTH,
    "S": AUTH,
    "C2": AUTH,
    "C": AUTH,
    "T": AUTH,
    "R": AUTH,
    "I": AUTH,
    "E": AUTH,
    "G": UNAUTH,
    "N": UNAUTH,
    "O": UNAUTH,
    "U": UNAUTH,
    "D": NC,
    "X": NC,
    "Q": NC,
    "Y1": NC,
    "Y2": NC,
    "Y3": NC,
    "Y4": NC,
    "Y5": NC,
    "Y6": NC,
    "Y7": NC,
    "Z": ADMIN,
    "#": ADMIN,
}


def test_code_table_holds_exactly_the_statutory_codes():
    assert set(CODES) == set(EXPECTED_CATEGORIES)


@pytest.mark.parametrize(("code", "category"), EXPECTED_CATEGORIES.items())
def test_each_code_has_its_statutory_category(code, category):
    found = lookup(code)
    assert found == CODES[code]
    assert found.code == code
    assert found.category is category
    assert found.possible == (category in {P, AEA, AUTH, UNAUTH})
    assert found.meaning


def test_every_y_code_has_its_own_meaning():
    meanings = {CODES[f"Y{n}"].meaning for n in range(1, 8)}
    assert len(meanings) == 7


def test_meanings_are_plain_english():
    assert lookup("I").meaning == "Illness"
    assert lookup("G").meaning == "Holiday not authorised"


def test_code_is_immutable():
    with pytest.raises(AttributeError):
        lookup("I").category = UNAUTH  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("H", "H was retired on 19 Aug 2024: use C"),
        ("J", "J was retired on 19 Aug 2024: use J1"),
        ("Y", "Y was retired on 19 Aug 2024: use Y1..Y7 or Q"),
        ("F", "F was retired in 2013: use the code for the actual reason"),
    ],
)
def test_retired_code_is_rejected_naming_its_replacement(code, message):
    with pytest.raises(CodeError) as caught:
        lookup(code)
    assert caught.value.error_code == "retired_code"
    assert str(caught.value) == message
    assert caught.value.message == message


def test_retired_table_names_replacements():
    assert RETIRED["H"] == "C"
    assert RETIRED["J"] == "J1"
    assert RETIRED["Y"] == "Y1..Y7 or Q"
    assert set(RETIRED) == {"H", "J", "Y", "F"}


def test_lowercase_retired_code_is_still_retired():
    with pytest.raises(CodeError) as caught:
        lookup("h")
    assert caught.value.error_code == "retired_code"
    assert str(caught.value) == "H was retired on 19 Aug 2024: use C"


def test_dash_is_the_no_mark_placeholder_not_a_code():
    with pytest.raises(CodeError) as caught:
        lookup("-")
    assert caught.value.error_code == "no_mark"
    assert str(caught.value) == (
        "- is the MIS 'no mark' placeholder, not a code: send a code or leave the session out"
    )


@pytest.mark.parametrize("code", ["", "A", "Y8", "Y0", "C3", "J2", "//", "*", "N ", " N", "1"])
def test_unknown_code_is_rejected(code):
    with pytest.raises(CodeError) as caught:
        lookup(code)
    assert caught.value.error_code == "unknown_code"
    assert caught.value.code == code


def test_code_error_is_a_value_error():
    with pytest.raises(ValueError):
        lookup("A")


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("i", "I"), ("n", "N"), ("c1", "C1"), ("y4", "Y4"), ("j1", "J1"), ("l", "L")],
)
def test_lowercase_code_is_accepted_as_its_uppercase_form(given, canonical):
    assert lookup(given).code == canonical


def test_non_ascii_letter_that_uppercases_to_a_code_is_rejected():
    # "ı" (dotless i) upper-cases to "I" in Python; it is not an MIS export of Illness.
    with pytest.raises(CodeError):
        lookup("ı")


def test_penalty_and_deletion_code_sets():
    assert sorted(UNAUTHORISED_FOR_PENALTY) == ["G", "N", "O", "U"]
    assert sorted(DELETION_GROUND_CODES) == ["G", "N", "O"]
    assert all(CODES[c].category is UNAUTH for c in UNAUTHORISED_FOR_PENALTY)


def test_closure_is_the_only_mark_that_is_not_a_school_day():
    assert CLOSURE == "#"
    assert not is_school_day_mark("#")
    assert [c for c in CODES if not is_school_day_mark(c)] == ["#"]


def test_rules_version_names_the_2024_rulebook():
    assert RULES_VERSION == "2024.1"


# --- counts -------------------------------------------------------------------------------


def test_count_codes_puts_each_mark_in_its_category():
    counts = count_codes(["/", "\\", "L", "V", "I", "M", "N", "G", "U"])
    assert counts == Counts(
        present=3, approved_educational_activity=1, authorised_absence=2, unauthorised_absence=3
    )
    assert counts.possible_sessions == 9
    assert counts.absence_sessions == 5


def test_not_counted_and_administrative_codes_leave_possible_sessions_unchanged():
    base = count_codes(["/", "I"])
    with_extras = count_codes(["/", "I", "D", "X", "Q", "Y1", "Y4", "Y7", "Z", "#"])
    assert with_extras == base
    assert with_extras.possible_sessions == 2


def test_add_code_returns_new_counts():
    before = Counts(present=1)
    after = before.add_code("N")
    assert before == Counts(present=1)
    assert after == Counts(present=1, unauthorised_absence=1)


def test_add_code_accepts_a_code_object():
    assert Counts().add_code(lookup("K")) == Counts(approved_educational_activity=1)


def test_add_not_counted_code_returns_equal_counts():
    assert Counts(present=2).add_code("D") == Counts(present=2)


def test_add_code_rejects_a_retired_code():
    with pytest.raises(CodeError):
        Counts().add_code("H")


def test_count_codes_rejects_a_bad_mark():
    with pytest.raises(CodeError):
        count_codes(["/", "-"])


def test_counts_add_field_by_field():
    total = Counts(1, 2, 3, 4) + Counts(10, 20, 30, 40)
    assert total == Counts(11, 22, 33, 44)


def test_counts_are_immutable():
    with pytest.raises(AttributeError):
        Counts().present = 1  # type: ignore[misc]


# --- rates --------------------------------------------------------------------------------


def test_rates_from_a_hand_worked_example():
    # 180 possible sessions: 150 present, 6 on a trip, 15 ill, 9 unauthorised.
    counts = Counts(150, 6, 15, 9)
    assert counts.possible_sessions == 180
    assert absence_rate(counts) == pytest.approx(24 / 180)
    assert attendance_rate(counts) == pytest.approx(156 / 180)
    assert is_persistent_absence(counts)  # 13.3%
    assert not is_severe_absence(counts)


def test_attendance_and_absence_rates_add_to_one():
    counts = Counts(7, 1, 2, 3)
    assert absence_rate(counts) + attendance_rate(counts) == pytest.approx(1.0)  # type: ignore[operator]


def test_rates_are_none_when_there_are_no_possible_sessions():
    only_not_counted = count_codes(["D", "X", "#"])
    assert absence_rate(only_not_counted) is None
    assert attendance_rate(only_not_counted) is None


def test_no_possible_sessions_is_neither_persistent_nor_severe():
    assert not is_persistent_absence(Counts())
    assert not is_severe_absence(Counts())
    assert not is_persistent_absence(None)
    assert not is_severe_absence(None)


def test_ten_percent_exactly_is_persistent_absence():
    counts = Counts(present=90, unauthorised_absence=10)
    assert is_persistent_absence(counts)
    assert is_persistent_absence(absence_rate(counts))


def test_just_under_ten_percent_is_not_persistent_absence():
    counts = Counts(present=9001, authorised_absence=999)  # 9.99%
    assert not is_persistent_absence(counts)
    assert not is_persistent_absence(absence_rate(counts))


@pytest.mark.parametrize(("absent", "possible"), [(1, 10), (3, 30), (7, 70), (33, 330), (19, 190)])
def test_tenth_is_persistent_absence_whatever_the_denominator(absent, possible):
    counts = Counts(present=possible - absent, authorised_absence=absent)
    assert is_persistent_absence(counts)
    assert is_persistent_absence(absence_rate(counts))


def test_fifty_percent_exactly_is_severe_absence():
    counts = Counts(present=50, authorised_absence=25, unauthorised_absence=25)
    assert is_severe_absence(counts)
    assert is_severe_absence(absence_rate(counts))


def test_just_under_fifty_percent_is_not_severe_absence():
    counts = Counts(present=5001, unauthorised_absence=4999)  # 49.99%
    assert not is_severe_absence(counts)
    assert not is_severe_absence(absence_rate(counts))
    assert is_persistent_absence(counts)


def test_severe_absence_is_also_persistent_absence():
    counts = Counts(unauthorised_absence=1)
    assert is_severe_absence(counts)
    assert is_persistent_absence(counts)


def test_approved_educational_activity_counts_as_attendance():
    counts = count_codes(["K", "V", "P", "W", "B"])
    assert attendance_rate(counts) == 1.0
    assert absence_rate(counts) == 0.0


def test_pooled_rate_sums_sessions_not_rates():
    # 1/2 and 0/8: the mean of rates would be 25%, the pooled rate is 1/10.
    assert pooled_rate([Counts(present=1, authorised_absence=1), Counts(present=8)]) == 0.1


def test_pooled_rate_of_nothing_is_none():
    assert pooled_rate([]) is None
    assert pooled_rate([Counts(), Counts()]) is None


def test_summary_has_the_registers_api_fields():
    summary = summarise(
        Counts(
            present=85,
            approved_educational_activity=5,
            authorised_absence=6,
            unauthorised_absence=4,
        )
    )
    assert summary == {
        "possible_sessions": 100,
        "present": 85,
        "approved_educational_activity": 5,
        "authorised_absence": 6,
        "unauthorised_absence": 4,
        "attendance_rate": 0.9,
        "absence_rate": 0.1,
        "persistent_absence": True,
        "severe_absence": False,
    }


def test_summary_of_no_sessions_has_null_rates_and_no_flags():
    summary = summarise(Counts())
    assert summary["possible_sessions"] == 0
    assert summary["attendance_rate"] is None
    assert summary["absence_rate"] is None
    assert summary["persistent_absence"] is False
    assert summary["severe_absence"] is False


# --- academic year ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 9, 1), date(2026, 9, 1), date(2027, 8, 31), "2026/27"),
        (date(2027, 8, 31), date(2026, 9, 1), date(2027, 8, 31), "2026/27"),
        (date(2026, 8, 31), date(2025, 9, 1), date(2026, 8, 31), "2025/26"),
        (date(2027, 1, 1), date(2026, 9, 1), date(2027, 8, 31), "2026/27"),
        (date(2026, 12, 31), date(2026, 9, 1), date(2027, 8, 31), "2026/27"),
        (date(2024, 2, 29), date(2023, 9, 1), date(2024, 8, 31), "2023/24"),
        (date(1999, 10, 1), date(1999, 9, 1), date(2000, 8, 31), "1999/00"),
    ],
)
def test_academic_year_runs_1_september_to_31_august(day, start, end, label):
    assert academic_year_start(day) == start
    assert academic_year_end(day) == end
    assert academic_year_label(day) == label


def test_31_august_and_1_september_fall_in_different_academic_years():
    assert academic_year_label(date(2025, 8, 31)) == "2024/25"
    assert academic_year_label(date(2025, 9, 1)) == "2025/26"


def test_code_dataclass_can_be_built_directly():
    assert Code("I", "Illness", AUTH).possible
    assert not Code("Z", "Prospective pupil", ADMIN).possible
