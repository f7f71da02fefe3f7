import math
import random

SITUATIONS = {
    "overfitting": "Overfitting: training loss keeps falling while validation loss rose after its minimum. Advice: "
                   "early stopping at the best validation epoch (restore best weights), a smaller bottleneck or "
                   "network, dropout/weight decay, more data or augmentation.",
    "still_learning": "Still learning: both losses are still falling together, with no gap. Advice: train longer "
                      "(more epochs), perhaps a larger learning rate or a learning-rate schedule; no regularisation "
                      "needed yet.",
    "diverging": "Diverging: both losses grow (or jump) after an initial fall. Advice: lower the learning rate, "
                 "clip gradients, check the input scaling and for NaNs.",
}


def generate(seed):
    rng = random.Random(seed)
    kind = rng.choice(sorted(SITUATIONS))
    epochs, every = rng.choice([(40, 5), (60, 10), (100, 10)])
    shown = list(range(every, epochs + 1, every))
    start, floor = rng.uniform(0.9, 1.3), rng.uniform(0.08, 0.2)
    train, val = [], []
    for epoch in shown:
        t = epoch / epochs
        if kind == "overfitting":
            train.append(floor + (start - floor) * math.exp(-6 * t))
            val.append(floor + 0.05 + (start - floor) * math.exp(-6 * t) + 0.4 * max(0.0, t - 0.35) ** 1.5)
        elif kind == "still_learning":
            train.append(floor + (start - floor) * (1 - 0.8 * t))
            val.append(floor + 0.02 + (start - floor) * (1 - 0.78 * t))
        else:
            train.append(start * math.exp(-3 * t) if t < 0.4 else start * (0.3 + 2.5 * (t - 0.4) ** 2))
            val.append(train[-1] * 1.05)
    return {"rows": rng.choice([20000, 50000, 120000]), "epochs": epochs, "every": every, "shown_epochs": shown,
            "train": [round(x, 3) for x in train], "val": [round(x, 3) for x in val], "situation": kind}


def solution(params):
    return SITUATIONS[params["situation"]]
