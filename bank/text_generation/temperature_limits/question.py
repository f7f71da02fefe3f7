import random

EFFECTS = {
    "greedy": "It always picks the most probable token, as greedy decoding does.",
    "uniform": "Every token becomes equally likely, whatever the logits.",
    "unchanged": "The model's own probabilities are used unchanged.",
    "sharper": "The distribution gets sharper: likely tokens become likelier, but others can still be drawn.",
    "flatter": "The distribution gets flatter: unlikely tokens gain probability, but it is not yet uniform.",
}
SETTINGS = [("greedy", "as T gets closer and closer to 0"), ("uniform", "as T grows without bound"),
            ("unchanged", "when T = 1"), ("sharper", "when T = {low}, compared with T = 1"),
            ("flatter", "when T = {high}, compared with T = 1")]


def generate(seed):
    rng = random.Random(seed)
    truth, setting = rng.choice(SETTINGS)
    order = sorted(EFFECTS)
    rng.shuffle(order)
    return {"model": rng.choice(["character-level LSTM", "small GPT-style transformer", "word-level RNN"]),
            "setting": setting.format(low=rng.choice([0.2, 0.5, 0.7]), high=rng.choice([1.5, 2, 3])),
            "choices": [EFFECTS[key] for key in order], "correct": "ABCDE"[order.index(truth)]}


def solution(params):
    return f'temperature_effect = "{params["correct"]}"'


def mistakes(params):
    return {f"choice {letter}": f'temperature_effect = "{letter}"' for letter in "ABCDE" if letter != params["correct"]}
