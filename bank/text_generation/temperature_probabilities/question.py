import math
import random

CONTEXTS = {
    "The insured party reported": ["damage", "theft", "injury", "nothing"],
    "The claim was": ["approved", "rejected", "delayed", "reopened"],
    "The cat sat on the": ["mat", "sofa", "roof", "floor"],
    "The premium will": ["rise", "fall", "stay", "double"],
}


def _softmax(logits, temperature):
    weights = [math.exp(z / temperature) for z in logits]
    return [w / sum(weights) for w in weights]


def generate(seed):
    rng = random.Random(seed)
    context = rng.choice(sorted(CONTEXTS))
    logits = rng.sample([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0], 4)
    return {"context": context, "words": CONTEXTS[context], "logits": logits,
            "temperature": rng.choice([0.5, 0.7, 1.5, 2.0, 3.0])}


def _answer(probs):
    return f"temperature_probs = {[round(p, 4) for p in probs]}"


def solution(params):
    return _answer(_softmax(params["logits"], params["temperature"]))


def mistakes(params):
    return {"multiplied by T": _answer(_softmax(params["logits"], 1 / params["temperature"])),
            "ignored T": _answer(_softmax(params["logits"], 1.0)),
            "not normalised": f"temperature_probs = {[math.exp(z / params['temperature']) for z in params['logits']]}"}
