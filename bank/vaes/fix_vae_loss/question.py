import random

LINES = {"reconstruction_line": "bce.sum(axis=1)",
         "kl_line": "-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)",
         "return_line": "np.mean(reconstruction + {beta} * kl)"}
# (the planted bug, the line it changes, that line with the bug, what the colleague sees)
BUGS = [
    ("the_KL_sign", "kl_line", "0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)",
     "During training the KL term it reports is negative and keeps falling."),
    ("sigma_used_for_sigma_squared", "kl_line", "-0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var / 2), axis=1)",
     "The KL term can come out negative, which a KL divergence never is."),
    ("reconstruction_averaged_over_features", "reconstruction_line", "bce.mean(axis=1)",
     "The decoded images are blurry and the KL term dominates."),
    ("beta_on_the_reconstruction", "return_line", "np.mean({beta} * reconstruction + kl)",
     "Raising beta makes the reconstructions sharper, not blurrier."),
]


def generate(seed):
    rng = random.Random(seed)
    bug, line, buggy, symptom = rng.choice(BUGS)
    beta = rng.choice([0.5, 2.0, 4.0, 0.25])
    lines = {key: value.format(beta=beta) for key, value in {**LINES, line: buggy}.items()}
    return {"bug": bug, "beta": beta, **lines, "symptom": symptom,
            "items": rng.choice(["28 x 28 images", "binary policy records", "claim records scaled to [0, 1]"]),
            "test_seed": rng.randrange(10**6)}


def solution(params):
    return f'''
def vae_loss(x, x_decoded, mu, log_var):
    # the bug was: {params["bug"].replace("_", " ")}
    eps = 1e-7
    bce = -(x * np.log(x_decoded + eps) + (1 - x) * np.log(1 - x_decoded + eps))
    reconstruction = bce.sum(axis=1)  # per example: summed over the features
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)  # sigma^2 = exp(log_var), always >= 0
    return float(np.mean(reconstruction + {params["beta"]} * kl))  # beta weighs the KL term
'''


def mistakes(params):
    given = f'''
def vae_loss(x, x_decoded, mu, log_var):
    eps = 1e-7
    bce = -(x * np.log(x_decoded + eps) + (1 - x) * np.log(1 - x_decoded + eps))
    reconstruction = {params["reconstruction_line"]}
    kl = {params["kl_line"]}
    return {params["return_line"]}
'''
    return {"the code as given": given,
            "no beta": given.replace(params["return_line"], "np.mean(reconstruction + kl)")}
