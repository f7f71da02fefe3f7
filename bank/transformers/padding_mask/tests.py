from otter.test_files import test_case

name = "padding_mask"


def _cases(params, np):
    rng = np.random.default_rng(params["test_seed"])
    for batch, length in ((1, 4), (3, 6), (5, 9)):
        ids = rng.integers(2, 200, size=(batch, length))
        ids[ids == params["pad_id"]] = params["pad_id"] + 3
        for row, real in zip(ids, rng.integers(1, length + 1, size=batch)):
            row[real:] = params["pad_id"]
        keys = ids[:, None, :] != params["pad_id"]
        expected = np.repeat(keys, length, axis=1)
        if params["causal"]:
            expected &= np.tril(np.ones((length, length), dtype=bool))
        yield ids, expected


@test_case(points=1, hidden=True)
def test_shape_and_type(attention_mask_from_ids, params, np):
    for ids, expected in _cases(params, np):
        mask = np.asarray(attention_mask_from_ids(ids.copy()))
        assert mask.shape == expected.shape, (
            f"for token_ids of shape {ids.shape}, the mask has shape {mask.shape}, not (batch_size, length, length)")
        assert mask.dtype == bool, f"the mask should be a boolean array, not {mask.dtype}"


@test_case(points=2, hidden=True)
def test_mask_values(attention_mask_from_ids, params, np):
    for ids, expected in _cases(params, np):
        mask = np.asarray(attention_mask_from_ids(ids.copy()))
        assert mask.shape == expected.shape and np.array_equal(mask.astype(bool), expected), (
            f"for token_ids of shape {ids.shape}, the mask is wrong: mask[b, i, j] should say whether query i may "
            "attend to key j (check which index padding applies to, and the rule for j and i)")
