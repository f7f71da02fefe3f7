import random

DESIGNS = {
    "autoencoder": "A dense autoencoder with a narrow bottleneck, trained to reconstruct the records; the "
                   "reconstruction error scores each record.",
    "vae": "A variational autoencoder: encode to a mean and a log-variance, train with reconstruction + KL loss, "
           "then decode vectors drawn from N(0, I).",
    "cnn": "A convolutional network (Conv2D and pooling layers, then dense layers) trained on labelled images.",
    "transformer": "A transformer (token embeddings, positional encodings, self-attention) trained on the texts.",
}

TASKS = {
    "autoencoder": [
        "A health insurer has {n:,} claims, almost none of them checked by investigators, and wants to flag the "
        "few most unusual ones for review.",
        "A pension fund wants to spot data-entry errors among its {n:,} member records; there are no labels of "
        "which records are wrong.",
    ],
    "vae": [
        "An insurer wants to give a software vendor {n:,} synthetic policy records that look like its real ones "
        "without copying any of them, generating as many new records as it likes.",
        "A reinsurer wants to generate plausible new claim scenarios by sampling from a smooth, continuous "
        "space learned from {n:,} historical claims.",
    ],
    "cnn": [
        "A motor insurer wants to estimate the repair class of a car from {n:,} photos of damaged vehicles that "
        "assessors have labelled.",
        "A property insurer wants to classify {n:,} aerial images of roofs as damaged or not after a storm.",
    ],
    "transformer": [
        "A claims department wants to route {n:,} free-text claim descriptions, written by policyholders, to "
        "one of {k} teams.",
        "An actuarial team wants a model that drafts the next sentence of a claim handler's notes from the "
        "sentences so far, trained on {n:,} past notes.",
    ],
}


def generate(seed):
    rng = random.Random(seed)
    truth = rng.choice(sorted(TASKS))
    task = rng.choice(TASKS[truth]).format(n=rng.choice([8000, 25000, 90000, 400000]), k=rng.choice([6, 9, 12]))
    order = sorted(DESIGNS)
    rng.shuffle(order)
    return {"task": task, "choices": [DESIGNS[key] for key in order], "correct": "ABCD"[order.index(truth)]}


def solution(params):
    return f'architecture_choice = "{params["correct"]}"'


def mistakes(params):
    wrong = next(letter for letter in "DCBA" if letter != params["correct"])
    return {"another design": f'architecture_choice = "{wrong}"', "no letter": 'architecture_choice = "VAE"'}
