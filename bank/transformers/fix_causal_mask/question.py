import random

# Each variant plants one bug in otherwise correct code; the student must find it.
CORRECT = {"scale_by": "k.shape[-1]", "mask_expression": "np.triu(np.ones((len(q), len(k)), dtype=bool), k=1)",
           "fill": "-1e9", "max_axis": "-1", "sum_axis": "-1"}
BUGS = {
    "mask_includes_diagonal": {"mask_expression": "np.triu(np.ones((len(q), len(k)), dtype=bool), k=0)"},
    "mask_hides_the_past": {"mask_expression": "np.tril(np.ones((len(q), len(k)), dtype=bool), k=-1)"},
    "softmax_over_queries": {"max_axis": "0", "sum_axis": "0"},
    "fill_zero": {"fill": "0.0"},
}


def generate(seed):
    rng = random.Random(seed)
    bug = rng.choice(sorted(BUGS))
    return {"depth": rng.choice([8, 16, 32, 64]), "bug": bug, **CORRECT, **BUGS[bug],
            "test_seed": rng.randrange(10**6)}


def solution(params):
    return '''
def causal_attention(q, k, v):
    # the planted bug was: ''' + params["bug"].replace("_", " ") + '''
    scores = q @ k.T / np.sqrt(k.shape[-1])
    mask = np.triu(np.ones((len(q), len(k)), dtype=bool), k=1)  # True above the diagonal: the future
    scores = np.where(mask, -1e9, scores)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)  # a softmax over the keys of each query
    return weights @ v
'''


def mistakes(params):
    buggy = "\n".join([
        "def causal_attention(q, k, v):",
        f"    scores = q @ k.T / np.sqrt({params['scale_by']})",
        f"    mask = {params['mask_expression']}",
        f"    scores = np.where(mask, {params['fill']}, scores)",
        f"    weights = np.exp(scores - scores.max(axis={params['max_axis']}, keepdims=True))",
        f"    weights = weights / weights.sum(axis={params['sum_axis']}, keepdims=True)",
        "    return weights @ v"])
    no_mask = buggy.replace(f"    scores = np.where(mask, {params['fill']}, scores)\n", "")
    return {"the code as given": buggy, "no mask at all": no_mask}
