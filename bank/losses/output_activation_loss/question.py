import random

HEADS = {
    "sigmoid": "A sigmoid output and binary cross-entropy.",
    "softmax": "A softmax output and categorical cross-entropy.",
    "linear": "A linear output (no activation) and mean squared error.",
    "poisson": "An exponential output (a log link) and the Poisson loss.",
}

SCENARIOS = [
    ("sigmoid", "An insurer has {n:,} motor claims labelled by its investigators as fraudulent or not ({rate}% are "
                "fraudulent). A network should output, for a new claim, the probability that it is fraudulent."),
    ("softmax", "An underwriting team sorts applicants into exactly one of {k} risk classes (preferred, standard, "
                "...). A network should predict, from {n:,} past applications, the probabilities of the {k} classes."),
    ("linear", "A network should predict the severity of a claim: the logarithm of the claim amount, standardised "
               "to mean 0 and standard deviation 1 over {n:,} past claims (so the target can be any real number)."),
    ("poisson", "A network should predict the number of claims a motor policy will have in a year (0, 1, 2, ...; "
                "the average over the {n:,} policies is {mean})."),
    ("sigmoid", "A dense autoencoder reconstructs {side} x {side} grey-scale images whose pixels are scaled to "
                "[0, 1]; its decoder's last layer outputs one value per pixel."),
    ("softmax", "A character-level text generator is trained to predict the next character out of a vocabulary of "
                "{vocab} characters."),
    ("linear", "The decoder of an autoencoder reconstructs {features} actuarial features (ages, sums insured, "
               "premiums), each standardised to mean 0 and standard deviation 1."),
]


def generate(seed):
    rng = random.Random(seed)
    truth, template = rng.choice(SCENARIOS)
    scenario = template.format(n=rng.choice([12000, 48000, 150000]), rate=rng.choice([1, 2, 4]),
                               k=rng.choice([4, 5, 6]), mean=rng.choice([0.06, 0.11, 0.18]),
                               side=rng.choice([28, 32]), vocab=rng.choice([58, 72, 96]),
                               features=rng.choice([12, 20, 35]))
    order = sorted(HEADS)
    rng.shuffle(order)
    return {"scenario": scenario, "choices": [HEADS[key] for key in order], "correct": "ABCD"[order.index(truth)],
            "head": truth}


def solution(params):
    return f'output_head_choice = "{params["correct"]}"'


def mistakes(params):
    wrong = [letter for letter in "ABCD" if letter != params["correct"]]
    return {f"choice {letter}": f'output_head_choice = "{letter}"' for letter in wrong}
