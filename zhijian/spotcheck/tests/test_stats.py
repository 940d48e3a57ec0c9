import pytest

from zhijian.spotcheck.stats import wilson


@pytest.mark.parametrize("k,n,lo,hi", [
    # reference values: Wilson score interval, z = 1.96 (e.g. R: prop.test(correct=FALSE) / binom.confint)
    (81, 263, 0.2553, 0.3662),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (95, 100, 0.8882, 0.9785),
])
def test_wilson_matches_reference_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-4) and got[1] == pytest.approx(hi, abs=1e-4)


def test_wilson_empty_sample_is_uninformative():
    assert wilson(0, 0) == (0.0, 1.0)
