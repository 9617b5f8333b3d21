import math

import pytest

from ui.state import parse_number


@pytest.mark.parametrize("raw,lo,hi,integer,want", [
    ("5", 0, 10, True, 5), ("5.0", 0, 10, True, 5), ("5.5", 0, 10, True, None),
    ("-1", 0, 10, True, None), ("11", 0, 10, True, None), ("nan", 0, 10, False, None),
    ("inf", 0, 10, False, None), ("1e308", 0, 10, False, None), ("abc", 0, 10, False, None),
    ("", 0, 10, False, None), (" 2.5 ", 0, 10, False, 2.5), ("<script>", 0, 10, False, None),
    ("0x10", 0, 100, True, None), ("1_0", 0, 100, True, 10),
])
def test_parse_number(raw, lo, hi, integer, want):
    got = parse_number(raw, lo, hi, integer=integer)
    if want is None:
        assert got is None
    else:
        assert got == want and isinstance(got, int) is integer and math.isfinite(got)


def test_matching_preset_compares_numbers_by_value():
    from ui.state import matching_preset

    opts = {"a": {"label": "A", "T": 50, "lr": "0.01"}, "b": {"label": "B", "T": 100}}
    assert matching_preset(opts, {"T": 50.0, "lr": "0.01"}) == "a"
    assert matching_preset(opts, {"T": 100, "lr": "0.02"}) == "b"
    assert matching_preset(opts, {"T": 70, "lr": "0.01"}) == "custom"
    assert matching_preset(opts, {"lr": "0.01"}) == "custom"  # a missing control never matches
