import random

D_LINE = "bce(real_labels, d_real) + bce(fake_labels, d_fake)"
G_LINE = "bce(np.ones_like(d_fake), d_fake)"
BUGS = {
    "generator_trained_to_look_fake": ("g_line", "bce(np.zeros_like(d_fake), d_fake)",
                                       "The generator's loss falls nicely, yet its samples get worse and worse."),
    "discriminator_labels_swapped": ("d_line", "bce(fake_labels, d_real) + bce(real_labels, d_fake)",
                                     "The discriminator ends up calling real images fake."),
    "fakes_labelled_real_for_the_discriminator": ("d_line", "bce(real_labels, d_real) + bce(real_labels, d_fake)",
                                                  "The discriminator outputs close to 1 for everything."),
    "generator_loss_on_real_images": ("g_line", "bce(np.ones_like(d_real), d_real)",
                                      "The generator never improves: its loss does not depend on its images."),
}


def generate(seed):
    rng = random.Random(seed)
    bug = rng.choice(sorted(BUGS))
    line, buggy, symptom = BUGS[bug]
    return {"bug": bug, "real_label": rng.choice([1.0, 0.9, 0.95]), "d_line": D_LINE, "g_line": G_LINE,
            line: buggy, "symptom": f"They report: \"{symptom}\"", "test_seed": rng.randrange(10**6)}


def _code(params, d_line, g_line, comment=""):
    return f'''
def bce(labels, probs):
    probs = np.clip(probs, 1e-7, 1 - 1e-7)
    return -np.mean(labels * np.log(probs) + (1 - labels) * np.log(1 - probs))

def gan_losses(d_real, d_fake):{comment}
    real_labels = np.full_like(d_real, {params["real_label"]})
    fake_labels = np.zeros_like(d_fake)
    d_loss = {d_line}
    g_loss = {g_line}
    return float(d_loss), float(g_loss)
'''


def solution(params):
    return _code(params, D_LINE, G_LINE, f"\n    # the bug was: {params['bug'].replace('_', ' ')}")


def mistakes(params):
    return {"the code as given": _code(params, params["d_line"], params["g_line"]),
            "no label smoothing": _code({**params, "real_label": 1.0}, D_LINE, G_LINE)
            if params["real_label"] != 1.0 else _code(params, D_LINE, "bce(np.zeros_like(d_fake), d_fake)")}
