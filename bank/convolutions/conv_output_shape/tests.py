from otter.test_files import test_case

name = "conv_output_shape"


def _given(conv_output_shape):
    from autograder.checks.answers import whole_numbers
    return whole_numbers(conv_output_shape, 3, "conv_output_shape", "height, width, channels, without the batch")


def _expected(params):
    sizes = []
    for n in (params["height"], params["width"]):
        if params["padding"] == "same":
            n = -(-n // params["stride"])
        else:
            n = (n - params["kernel"]) // params["stride"] + 1
        sizes.append(n // params["pool"])
    return sizes + [params["filters"]]


@test_case(points=1, hidden=True)
def test_spatial_size(conv_output_shape, params):
    assert _given(conv_output_shape)[:2] == _expected(params)[:2], (
        "the height and width in conv_output_shape are not right: check the padding, the strides and the pooling")


@test_case(points=1, hidden=True)
def test_channels(conv_output_shape, params):
    assert _given(conv_output_shape)[2] == _expected(params)[2], (
        "the number of channels in conv_output_shape is not right: what decides how many channels Conv2D outputs?")
