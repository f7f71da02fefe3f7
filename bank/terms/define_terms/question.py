import random

KEY = [
    ("latent space", "the space of the compressed codes an encoder produces; nearby points decode to similar data, "
                     "and a generative model samples or interpolates in it to make new data"),
    ("bottleneck", "the narrowest layer of an autoencoder; with fewer units than the input it forces the network to "
                   "keep only the most important structure (compression) instead of copying the input"),
    ("mode collapse", "a GAN failure where the generator maps many latent vectors to the same few outputs, covering "
                      "only some modes of the data because they fool the current discriminator"),
    ("teacher forcing", "in training a sequence model, the input at each step is the true previous token rather "
                        "than the model's own prediction; it makes training stable and parallel"),
    ("reparameterisation trick", "a VAE samples z = mu + exp(log_var / 2) * eps with eps ~ N(0, I), moving the "
                                 "randomness into eps so that gradients flow to mu and log_var"),
    ("KL divergence term", "the part of the VAE loss, KL(q(z|x) || N(0, I)), that pulls each encoding towards the "
                           "standard normal prior so the latent space is smooth and can be sampled"),
    ("self-attention", "each token's new representation is a weighted average of the value vectors of all tokens, "
                       "weighted by a softmax of query-key similarities; it relates distant tokens directly"),
    ("softmax temperature", "logits are divided by T before the softmax when sampling; T < 1 sharpens the "
                            "distribution (safer, repetitive text), T > 1 flattens it (more varied, more errors)"),
    ("generator and discriminator", "the two networks of a GAN: the generator turns noise into samples, the "
                                    "discriminator classifies real versus generated; they are trained against "
                                    "each other"),
    ("beam search", "a decoding method keeping the k most probable partial sequences at each step and returning "
                    "the most probable complete one; it finds likelier sequences than greedy decoding"),
]
CONTEXTS = ["in generative deep learning", "in the models of this course", "(a sentence each is enough)"]


def generate(seed):
    rng = random.Random(seed)
    picked = sorted(rng.sample(range(len(KEY)), 3), key=lambda _: rng.random())
    return {"terms": [KEY[index][0] for index in picked], "key": [KEY[index][1] for index in picked],
            "context": rng.choice(CONTEXTS)}


def solution(params):
    return "\n".join(f"{number}. {term}: {text}." for number, (term, text)
                     in enumerate(zip(params["terms"], params["key"]), start=1))
