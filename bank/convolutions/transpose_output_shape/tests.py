from otter.test_files import test_case

name = "transpose_output_shape"


@test_case(points=2, hidden=True)
def test_decoder_output_shape(decoder_output_shape, params):
    from autograder.checks.answers import whole_numbers
    shape = whole_numbers(decoder_output_shape, 3, "decoder_output_shape", "height, width, channels, without the batch")
    n = params["side"]
    for layer in params["layers"]:  # Keras: stride * n, plus max(kernel - stride, 0) for padding "valid"
        n = n * layer["stride"] + (max(layer["kernel"] - layer["stride"], 0) if layer["padding"] == "valid" else 0)
    assert [int(x) for x in shape[:2]] == [n, n], (
        "the height and width in decoder_output_shape are not right: follow the size through every "
        "Conv2DTranspose layer, minding its strides and padding")
    assert int(shape[2]) == params["layers"][-1]["filters"], (
        "the number of channels in decoder_output_shape is not right")
