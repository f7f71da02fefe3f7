import random


def generate(seed):
    rng = random.Random(seed)
    return {"batch": rng.choice([16, 32, 64, 128]), "latent": rng.choice([2, 8, 16, 32]),
            "items": rng.choice(["images", "policy records", "claim descriptions"]), "test_seed": rng.randrange(10**6)}


def solution(params):
    return '''
def reparameterise(mu, log_var, eps):
    sigma = np.exp(0.5 * np.asarray(log_var))  # the standard deviation: exp(log(sigma^2) / 2)
    return np.asarray(mu) + sigma * np.asarray(eps)
'''


def mistakes(params):
    return {"variance for sigma": "def reparameterise(mu, log_var, eps):\n    return mu + np.exp(log_var) * eps",
            "log-variance for sigma": "def reparameterise(mu, log_var, eps):\n    return mu + log_var * eps",
            "fresh noise": "def reparameterise(mu, log_var, eps):\n"
                           "    return mu + np.exp(0.5 * log_var) * np.random.normal(size=mu.shape)"}
