from groomwatch.evaluation.format import signed_num, signed_pct


def test_signed_differences_never_print_negative_zero():
    assert signed_num(-0.0001) == "+0.000"
    assert signed_pct(-0.00001) == "+0.00 pp"
    assert signed_num(-0.0172) == "-0.017"
