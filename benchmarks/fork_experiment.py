"""Can a fork server hand out pre-imported Keras processes? (Issue: warm kernels vs a fork server.)

Usage: python benchmarks/fork_experiment.py cold-parent   # parent only imported keras, then forks twice
       python benchmarks/fork_experiment.py warm-parent   # parent also trained once before forking
Each child trains a tiny model with a fixed seed and prints its losses and time. Findings: docs/design.md.
"""
import os
import sys
import time

t = time.time()
import keras  # noqa: E402 - the import is what is timed
import numpy as np  # noqa: E402

print("import", round(time.time() - t, 2), flush=True)

def child_work(tag):
    t = time.time()
    keras.utils.set_random_seed(1)
    x = np.random.rand(256, 8).astype("float32")
    y = x.sum(1, keepdims=True)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    m.compile("adam", "mse")
    h = m.fit(x, y, epochs=3, verbose=0)
    print(tag, "loss", [round(v, 6) for v in h.history["loss"]], "time", round(time.time() - t, 2), flush=True)

mode = sys.argv[1]
if mode == "warm-parent":  # parent ran TF ops before forking
    child_work("parent")
for i in range(2):
    t = time.time()
    pid = os.fork()
    if pid == 0:
        print("forked in", round(time.time() - t, 4), flush=True)
        child_work(f"child{i}")
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("child exit", status, flush=True)
