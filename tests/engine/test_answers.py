"""Answer checking on plain data, including a fuzz test: only bool or AnswerError, ever."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnpath.answers import (
    AnswerError,
    AnswerKey,
    check_answer,
    display_number,
    normalise_text,
    parse_number,
)

NUMERIC = AnswerKey(kind="numeric", numeric_answer=0.75, tolerance=0.001)
MIXED = AnswerKey(kind="numeric", numeric_answer=1.5, tolerance=0.0)
TEXT = AnswerKey(kind="text", accepted_answers=("three quarters", "3/4"))
SINGLE = AnswerKey(kind="choice", choice_ids=frozenset({1, 2, 3}),
                   correct_choice_ids=frozenset({2}))
MULTI = AnswerKey(kind="choice", choice_ids=frozenset({1, 2, 3}),
                  correct_choice_ids=frozenset({1, 3}))


@pytest.mark.parametrize(
    ("typed", "value"),
    [("0.75", 0.75), (" 3/4 ", 0.75), ("3 / 4", 0.75), ("0,75", 0.75), (".75", 0.75),
     ("-2", -2.0), ("1 1/2", 1.5), ("-1 1/2", -1.5), ("75%", 75.0), ("1e3", 1000.0),
     ("\u22123", -3.0), ("1.5/3", 0.5)],
)
def test_numbers_are_read_as_learners_type_them(typed: str, value: float) -> None:
    assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Please type a number"), ("abc", "is not a number"), ("1/0", "denominator"),
     ("1,000,000", "is not a number"), ("9" * 70, "too long"), ("1e400", "too large"),
     ("3/4/5", "is not a number")],
)
def test_bad_numbers_say_why(typed: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        parse_number(typed)


def test_numeric_answers_use_the_tolerance() -> None:
    assert check_answer(NUMERIC, "0.7505")
    assert check_answer(NUMERIC, "3/4")
    assert not check_answer(NUMERIC, "0.752")
    assert check_answer(MIXED, "1 1/2") and check_answer(MIXED, "3/2")
    assert not check_answer(MIXED, "1.4999")


def test_text_answers_are_normalised() -> None:
    assert normalise_text("  Three   QUARTERS\t") == "three quarters"
    assert check_answer(TEXT, "Three  Quarters")
    assert check_answer(TEXT, " 3/4")
    assert not check_answer(TEXT, "three quarter")
    with pytest.raises(AnswerError, match="Please type"):
        check_answer(TEXT, "   ")


def test_choice_answers_must_match_the_set_exactly() -> None:
    assert check_answer(SINGLE, ["2"])
    assert check_answer(SINGLE, "2")
    assert not check_answer(SINGLE, ["1"])
    assert check_answer(MULTI, ["3", "1"])
    assert not check_answer(MULTI, ["1"])
    assert not check_answer(MULTI, ["1", "2", "3"])
    for bad in ([], ["9"], ["x"], ""):
        with pytest.raises(AnswerError):
            check_answer(MULTI, bad)


def test_control_characters_and_overlong_answers_are_refused() -> None:
    with pytest.raises(AnswerError, match="not allowed"):
        check_answer(TEXT, "3/4\x00")
    with pytest.raises(AnswerError, match="at most"):
        check_answer(TEXT, "a" * 501)
    with pytest.raises(AnswerError):
        check_answer(NUMERIC, ["0.75"])


@settings(max_examples=300, deadline=None)
@given(
    typed=st.one_of(st.text(max_size=80), st.lists(st.text(max_size=5), max_size=4)),
    key=st.sampled_from([NUMERIC, MIXED, TEXT, SINGLE, MULTI]),
)
def test_any_input_gives_a_verdict_or_a_clear_error(typed: object, key: AnswerKey) -> None:
    try:
        assert isinstance(check_answer(key, typed), bool)
    except AnswerError as error:
        assert str(error)


@pytest.mark.parametrize(
    ("value", "tolerance", "shown"),
    [(23.0, 0.0, "23"), (-4.0, 0.0, "-4"), (0.8333, 0.001, "5/6"), (0.5833, 0.001, "7/12"),
     (1.8333, 0.001, "1 5/6"), (-0.8333, 0.001, "-5/6"), (0.75, 0.001, "0.75"),
     (0.667, 0.0005, "0.667"), (1.875, 0.0, "1.875"), (12.5, 0.0, "12.5"),
     (3.14159, 0.0, "3.14159"), (0.1234, 0.0001, "0.1234"), (1234567.5, 0.0, "1234567.5")],
)
def test_numbers_are_shown_as_the_author_means_them(value: float, tolerance: float,
                                                    shown: str) -> None:
    assert display_number(value, tolerance) == shown
    assert abs(parse_number(shown) - value) <= tolerance + 1e-9  # and read back as right
