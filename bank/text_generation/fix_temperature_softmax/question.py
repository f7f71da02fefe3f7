import random

CORRECT = {"scale_line": "logits / temperature",
           "shift_line": "scaled = scaled - scaled.max(axis=-1, keepdims=True)  # for stability",
           "sum_axis": "-1"}
BUGS = {
    "multiplied_by_the_temperature": ({"scale_line": "logits * temperature"},
                                      "At T = 0.5 its samples are more varied than at T = 2."),
    "no_stability_shift": ({"shift_line": "# (no shift needed: np.exp handles it)"},
                           "It returns nan for some batches."),
    "shift_over_the_batch": ({"shift_line": "scaled = scaled - scaled.max(axis=0, keepdims=True)  # for stability"},
                             "Its rows sum to 1, yet the probabilities are wrong when the batch has several rows."),
    "normalised_over_the_batch": ({"sum_axis": "0"}, "Its rows do not sum to 1."),
}


def generate(seed):
    rng = random.Random(seed)
    bug = rng.choice(sorted(BUGS))
    changes, symptom = BUGS[bug]
    return {"bug": bug, **CORRECT, **changes, "symptom": symptom, "test_seed": rng.randrange(10**6)}


def solution(params):
    return f'''
def temperature_softmax(logits, temperature):
    # the bug was: {params["bug"].replace("_", " ")}
    scaled = np.asarray(logits, dtype=float) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)  # each row's own maximum: exp never overflows
    weights = np.exp(scaled)
    return weights / weights.sum(axis=-1, keepdims=True)  # normalise each row
'''


def mistakes(params):
    given = f'''
def temperature_softmax(logits, temperature):
    scaled = {params["scale_line"]}
    {params["shift_line"]}
    weights = np.exp(scaled)
    return weights / weights.sum(axis={params["sum_axis"]}, keepdims=True)
'''
    no_temperature = '''
def temperature_softmax(logits, temperature):
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True)
'''
    return {"the code as given": given, "ignores the temperature": no_temperature}
