import random

CASES = {
    "discriminator_dominates": {
        "setup": "the discriminator has {wide} filters per layer against the generator's {narrow}, both use Adam "
                 "with learning rate {lr}, and the discriminator takes {steps} steps for every generator step.",
        "symptoms": "the discriminator's loss dropped below 0.01 early on; D(x) is about 0.99 and D(G(z)) about "
                    "0.01; the generator's loss keeps rising and its samples are still blurry noise.",
        "key": "The discriminator dominates: it wins so easily that the generator's gradients vanish. Remedies: "
               "one discriminator step per generator step, a smaller discriminator or a lower learning rate for "
               "it, label smoothing or noise on its inputs, the non-saturating loss or WGAN-GP. Watch D(G(z)) "
               "rising away from 0 and the generator's loss falling, and the samples improving.",
    },
    "mode_collapse": {
        "setup": "generator and discriminator have {narrow} filters per layer, Adam with learning rate {lr}, one "
                 "discriminator step per generator step, latent vectors of size {latent}.",
        "symptoms": "samples look sharp, but {share}% of them show nearly the same image; the losses oscillate "
                    "without trend, and changing the latent vector barely changes the output.",
        "key": "Mode collapse: the generator maps most latent vectors to a few outputs that fool the current "
               "discriminator. Remedies: minibatch discrimination or minibatch standard deviation, a Wasserstein "
               "loss with gradient penalty, unrolled GAN, a lower generator learning rate, more latent noise "
               "(and check the latent input is really used). Watch sample diversity (a grid of samples, number "
               "of distinct classes, FID) over training.",
    },
    "unstable": {
        "setup": "both networks use Adam with learning rate {big_lr} and beta_1 = 0.9, no batch normalisation, "
                 "one discriminator step per generator step.",
        "symptoms": "both losses swing wildly from step to step (the discriminator's between 0.05 and 3); the "
                    "samples change completely from one epoch to the next and never settle.",
        "key": "Unstable, oscillating training: the learning rate is far too high for adversarial training. "
               "Remedies: the DCGAN settings (Adam, learning rate 2e-4, beta_1 = 0.5), batch normalisation in "
               "the generator or spectral normalisation in the discriminator, different learning rates (TTUR). "
               "Watch the losses settle into a steady band and the samples improve steadily.",
    },
}


def generate(seed):
    rng = random.Random(seed)
    case = rng.choice(sorted(CASES))
    values = {"wide": rng.choice([256, 512]), "narrow": rng.choice([32, 64]), "lr": rng.choice(["2e-4", "1e-4"]),
              "steps": rng.choice([3, 5, 10]), "latent": rng.choice([16, 64, 100]), "share": rng.randint(70, 95),
              "big_lr": rng.choice(["0.01", "0.005", "0.02"])}
    return {"case": case, "data": rng.choice(["64 x 64 faces", "MNIST digits", "photos of car damage"]),
            "epochs": rng.choice([5, 20, 50]), "setup": CASES[case]["setup"].format(**values),
            "symptoms": CASES[case]["symptoms"].format(**values)}


def solution(params):
    return CASES[params["case"]]["key"]
