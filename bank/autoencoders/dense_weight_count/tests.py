from otter.test_files import test_case

name = "dense_weight_count"


@test_case(points=2, hidden=True)
def test_weight_count(dense_weight_count, params):
    from autograder.checks.answers import check_number
    inputs = params["height"] * params["width"] * params["channels"]
    check_number(dense_weight_count, inputs * params["units"] + params["units"], "dense_weight_count")
