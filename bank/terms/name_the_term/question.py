import random

# term: (accepted spellings, definition)
TERMS = {
    "latent space": (["latent space", "latent representation space", "code space"],
                     "The lower-dimensional space of codes that an encoder maps its inputs to, and from which a "
                     "decoder reconstructs or generates data."),
    "bottleneck": (["bottleneck", "bottleneck layer"],
                   "The narrowest layer of an autoencoder, which forces the network to compress its input."),
    "mode collapse": (["mode collapse", "mode collapsing"],
                      "A GAN failure in which the generator produces only a few kinds of outputs, ignoring much "
                      "of the variety of the data."),
    "teacher forcing": (["teacher forcing"],
                        "Training a sequence model by feeding it the true previous token, not its own prediction, "
                        "as the input at each step."),
    "reparameterisation trick": (["reparameterisation trick", "reparameterization trick",
                                  "reparametrisation trick", "reparametrization trick"],
                                 "Writing a sample as mu + sigma * eps, with eps drawn from N(0, 1), so that "
                                 "gradients can flow through the sampling step to mu and sigma."),
    "temperature": (["temperature", "softmax temperature", "sampling temperature"],
                    "The number that logits are divided by before the softmax when sampling; lower values make "
                    "the choice more deterministic."),
    "beam search": (["beam search"],
                    "A decoding method that keeps the k most probable partial sequences at every step."),
    "positional encoding": (["positional encoding", "positional embedding", "position encoding",
                             "position embedding"],
                            "Vectors added to the token embeddings so that a transformer can use the order of "
                            "the tokens."),
    "causal mask": (["causal mask", "look-ahead mask", "lookahead mask", "future mask", "causal masking"],
                    "An attention mask that stops each position from attending to later positions."),
    "discriminator": (["discriminator", "critic"],
                      "The network of a GAN that learns to tell real samples from generated ones."),
}


def generate(seed):
    rng = random.Random(seed)
    bank = rng.sample(sorted(TERMS), 6)
    asked = bank[:2]
    rng.shuffle(bank)
    return {"asked": asked, "definitions": [TERMS[term][1] for term in asked],
            "accepted": [TERMS[term][0] for term in asked], "word_bank": bank,
            "example": next(term for term in bank if term not in asked)}


def solution(params):
    first, second = params["asked"]
    return f'term_for_definition_1 = "{first}"\nterm_for_definition_2 = "{second}"'


def mistakes(params):
    first, second = params["asked"]
    return {"swapped": f'term_for_definition_1 = "{second}"\nterm_for_definition_2 = "{first}"',
            "the example": f'term_for_definition_1 = "{params["example"]}"\nterm_for_definition_2 = "{second}"'}
