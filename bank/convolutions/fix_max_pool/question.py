import random

CORRECT = {"crop_line": "x = x[:h * pool_size, :w * pool_size]",
           "reshape_line": "x.reshape(h, pool_size, w, pool_size, x.shape[2])", "reduce_line": "max(axis=(1, 3))"}
BUGS = {
    "blocks_reshaped_in_the_wrong_order": {"reshape_line": "x.reshape(h, w, pool_size, pool_size, x.shape[2])",
                                           "reduce_line": "max(axis=(2, 3))"},
    "leftover_rows_not_dropped": {"crop_line": "x = x[:, :w * pool_size]"},
    "maximum_over_the_wrong_axes": {"reduce_line": "max(axis=(1, 2))"},
}
SYMPTOMS = {"blocks_reshaped_in_the_wrong_order": " (the shape is right, the values are not)",
            "leftover_rows_not_dropped": " for some image sizes, and a crash for others",
            "maximum_over_the_wrong_axes": ""}


def generate(seed):
    rng = random.Random(seed)
    bug = rng.choice(sorted(BUGS))
    return {"bug": bug, **CORRECT, **BUGS[bug], "symptom": SYMPTOMS[bug], "pool_example": rng.choice([2, 3]),
            "test_seed": rng.randrange(10**6)}


def solution(params):
    return f'''
def max_pool2d(x, pool_size):
    # the bug was: {params["bug"].replace("_", " ")}
    x = np.asarray(x)
    h, w = x.shape[0] // pool_size, x.shape[1] // pool_size
    x = x[:h * pool_size, :w * pool_size]  # drop the leftover rows and columns
    blocks = x.reshape(h, pool_size, w, pool_size, x.shape[2])  # (block row, row in block, block col, col in block, c)
    return blocks.max(axis=(1, 3))
'''


def mistakes(params):
    buggy = f'''
def max_pool2d(x, pool_size):
    h, w = x.shape[0] // pool_size, x.shape[1] // pool_size
    {params["crop_line"]}
    blocks = {params["reshape_line"]}
    return blocks.{params["reduce_line"]}
'''
    strided = '''
def max_pool2d(x, pool_size):
    return x[::pool_size, ::pool_size]
'''
    return {"the code as given": buggy, "takes every p-th pixel": strided}
