from otter.test_files import test_case

name = "conv2d_param_count"


@test_case(points=2, hidden=True)
def test_conv2d_param_count(conv2d_param_count, params):
    from autograder.checks.answers import check_number
    kernel, filters = params["kernel2"], params["filters2"]
    expected = (kernel * kernel * params["filters1"] + 1) * filters
    check_number(conv2d_param_count, expected, "conv2d_param_count (which input channels does the second layer "
                 "see? did you count the biases?)", rel=0)
