import random

RULES = {False: "token `j` is not padding (this is an encoder: every position sees the whole sequence, "
                "padding excepted)",
         True: "token `j` is not padding **and** `j <= i` (this is a decoder: a position sees neither padding nor "
               "later positions)"}


def generate(seed):
    rng = random.Random(seed)
    pad_id, causal = rng.choice([0, 0, 1, 99]), rng.random() < 0.5
    example = [rng.choice([5, 17, 23, 42, 8]) for _ in range(rng.choice([2, 3]))] + [pad_id] * rng.choice([1, 2])
    row = [token != pad_id and (j <= 1 or not causal) for j, token in enumerate(example)]  # query position 1
    return {"pad_id": pad_id, "causal": causal, "rule": RULES[causal], "example": ", ".join(map(str, example)),
            "example_row": repr(row),
            "test_seed": rng.randrange(10**6)}


def _code(pad_id, causal, transposed=False):
    keys = "[:, :, None]" if transposed else "[:, None, :]"
    lines = ["def attention_mask_from_ids(token_ids):",
             "    token_ids = np.asarray(token_ids)",
             f"    mask = np.repeat((token_ids != {pad_id}){keys}, token_ids.shape[1], axis={2 if transposed else 1})"]
    if causal:
        lines.append("    mask = mask & np.tril(np.ones((token_ids.shape[1],) * 2, dtype=bool))  # j <= i")
    return "\n".join(lines + ["    return mask"])


def solution(params):
    return _code(params["pad_id"], params["causal"])


def mistakes(params):
    return {"masks the queries, not the keys": _code(params["pad_id"], params["causal"], transposed=True),
            "causal the other way round": _code(params["pad_id"], not params["causal"]),
            "the wrong padding id": _code(params["pad_id"] + 1, params["causal"])}
