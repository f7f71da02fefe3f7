import random

PROBLEMS = {
    "frequency": ("Predict the number of claims of each motor policy over its exposure period (policies are "
                  "in force between one month and one year).",
                  "One output unit with an exponential activation (log link) and the Poisson loss; the exposure "
                  "enters as an offset (add log(exposure) before the exponential) or by modelling claims per year "
                  "with the exposure as sample weight. Validate with the Poisson deviance on held-out policies."),
    "fraud": ("Predict whether a claim is fraudulent; about {rate}% of past claims were confirmed fraudulent.",
              "One output unit with a sigmoid and binary cross-entropy; because fraud is rare, use class weights "
              "or resampling, and judge the model by precision/recall or AUC (not accuracy) on held-out claims, "
              "choosing the flagging threshold from them."),
    "risk_class": ("Assign each applicant to one of five risk classes, as underwriters did for past applicants.",
                   "Five output units with a softmax and categorical cross-entropy (sparse if the labels are "
                   "integers); check accuracy and the confusion matrix on held-out applicants (classes are "
                   "ordered, so neighbouring mistakes are less bad)."),
    "severity": ("Predict the amount of a claim (always positive, heavily right-skewed) when it is reported.",
                 "One output unit: either a linear output with mean squared error on the log of the amount "
                 "(standardised), or an exponential output with a Gamma loss on the amount itself; evaluate on "
                 "held-out claims, in money as well as in the loss."),
}
BIG = [("vehicle_brand", 120), ("postcode_region", 95), ("occupation", 240), ("diagnosis_code", 410)]


def generate(seed):
    rng = random.Random(seed)
    target = rng.choice(sorted(PROBLEMS))
    big, levels = rng.choice(BIG)
    return {"target": target, "problem": PROBLEMS[target][0].format(rate=rng.choice([1, 2, 3])),
            "rows": f"{rng.choice([40000, 120000, 600000]):,}", "numeric": rng.choice([6, 9, 14]),
            "numeric_examples": rng.choice(["age, sum insured and vehicle power", "age, income and policy tenure",
                                            "age, BMI and premium"]),
            "big_category": big, "levels": levels + rng.randrange(20), "small_categories": rng.choice([2, 3, 5])}


def solution(params):
    output = PROBLEMS[params["target"]][1]
    return (f"Inputs: standardise the {params['numeric']} numeric features (fit the scaling on the training set "
            f"only); give `{params['big_category']}` ({params['levels']} levels) an Embedding of about 5-10 "
            f"dimensions, and one-hot encode the {params['small_categories']} small categorical features; "
            "concatenate everything. Body: two or three Dense layers (for example 64 and 32 units, ReLU), with "
            f"dropout or L2 to limit overfitting on {params['rows']} rows. Output and loss: "
            f"{output[0].lower() + output[1:]} Training: Adam, a train/validation/test split (by policyholder), early "
            "stopping on the validation loss with the best weights restored, and a comparison with a GLM "
            "baseline.")
