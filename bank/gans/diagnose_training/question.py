import random

DIAGNOSES = {
    "dominating": "The discriminator dominates: it separates real from fake perfectly and the generator's "
                  "gradients vanish.",
    "collapse": "Mode collapse: the generator produces only a few kinds of samples.",
    "labels": "The generator step uses the wrong labels: it trains the generator to make its samples look fake.",
    "frozen": "The discriminator's weights never change: it was left non-trainable for its own training step.",
}

REPORTS = {
    "dominating": "The discriminator's loss fell to {d:.3f} within the first few hundred steps and stays there; the "
                  "generator's loss keeps climbing (now {g:.1f}) and its samples still look like noise.",
    "collapse": "Both losses oscillate around {d:.2f} and {g:.2f}. Samples look sharp, but of 1,000 samples "
                "{share}% show the same class.",
    "labels": "The generator's loss goes down steadily to {g:.2f}, yet D(G(z)) falls towards 0 and the samples get "
              "worse and worse; the discriminator's loss is {d:.3f}.",
    "frozen": "The discriminator's loss has been exactly {d:.4f} at every step since the start and its weights are "
              "identical to their initial values; the samples drift without improving.",
}


def generate(seed):
    rng = random.Random(seed)
    truth = rng.choice(sorted(DIAGNOSES))
    report = REPORTS[truth].format(d=rng.uniform(0.005, 0.05) if truth != "collapse" else rng.uniform(0.6, 0.7),
                                   g=rng.uniform(4.0, 9.0) if truth == "dominating" else rng.uniform(0.3, 0.9),
                                   share=rng.randint(85, 97))
    order = sorted(DIAGNOSES)
    rng.shuffle(order)
    return {"dataset": rng.choice(["MNIST digits", "CelebA faces", "Fashion-MNIST", "CIFAR-10"]),
            "steps": rng.choice([2000, 5000, 10000]), "report": report,
            "choices": [DIAGNOSES[key] for key in order], "correct": "ABCD"[order.index(truth)]}


def solution(params):
    return f'gan_diagnosis = "{params["correct"]}"'


def mistakes(params):
    wrong = next(letter for letter in "ABCD" if letter != params["correct"])
    return {"another letter": f'gan_diagnosis = "{wrong}"', "the text": f'gan_diagnosis = "{params["choices"][0]}"'}
