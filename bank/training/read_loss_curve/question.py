import numpy as np

READINGS = {
    "converged": "Converged: both losses have flattened out with a small gap; more epochs will change little.",
    "diverging": "Diverging: after falling at first, both losses grow; the learning rate is too high.",
    "overfitting": "Overfitting: the training loss keeps falling while the validation loss has turned upward.",
    "still_learning": "Still learning: both losses are still falling together; train for more epochs.",
}


def _curves(kind, t, rng):
    start, floor = rng.uniform(0.8, 1.4), rng.uniform(0.05, 0.25)
    if kind == "overfitting":
        train = floor + (start - floor) * np.exp(-5 * t)
        return train, train + 0.04 + 0.6 * np.clip(t - rng.uniform(0.3, 0.5), 0, None) ** 1.4
    if kind == "still_learning":
        train = start - (start - floor) * 0.85 * t
        return train, train + 0.03 + 0.02 * t
    if kind == "diverging":
        train = start * np.exp(-4 * t) + 3 * np.clip(t - rng.uniform(0.35, 0.55), 0, None) ** 2
        return train, train * 1.08
    train = floor + (start - floor) * np.exp(-14 * t)
    return train, train + 0.02 + 0.002 * np.sin(9 * t)


def generate(seed):
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(sorted(READINGS)))
    every = int(rng.choice([2, 5, 10]))
    epochs = np.arange(every, every * 10 + 1, every)
    while True:
        train, val = (np.round(c, 3) for c in _curves(kind, epochs / epochs[-1], rng))
        if np.sum(val == val.min()) == 1:
            break
    order = list(rng.permutation(sorted(READINGS)))
    return {"kind": kind, "epochs": epochs.tolist(), "train": train.tolist(), "val": val.tolist(),
            "model": str(rng.choice(["dense autoencoder", "VAE", "character-level LSTM"])),
            "choices": [READINGS[key] for key in order], "correct": "ABCD"[order.index(kind)]}


def _answer(letter, epoch):
    return f'curve_reading = "{letter}"\nbest_validation_epoch = {epoch}'


def solution(params):
    return _answer(params["correct"], params["epochs"][int(np.argmin(params["val"]))])


def mistakes(params):
    best = params["epochs"][int(np.argmin(params["val"]))]
    other = next(letter for letter in "BADC" if letter != params["correct"])
    lowest_training = params["epochs"][int(np.argmin(params["train"]))]
    wrong = {"another reading": _answer(other, best),
             "the last epoch": _answer(params["correct"], params["epochs"][-1])}
    if lowest_training != best:
        wrong["the lowest training loss"] = _answer(params["correct"], lowest_training)
    if best == params["epochs"][-1]:
        del wrong["the last epoch"]
    return wrong
