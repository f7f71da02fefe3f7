"""Writes examples/gan_debug/submissions/ from the built student notebook (run `autograder build gan_debug` first).

The student notebook holds five planted bugs. Each is fixed here by exact text replacements, so the corpus
follows the notebook when the notebook changes (a replacement that no longer matches stops the script):

* ``unfixed``: the notebook as students get it;
* ``reference``: every bug fixed;
* ``bug_<name>``: every bug fixed except that one (what calibration measures: each bug alone);
* ``fixed_only_<name>``: only that bug fixed;
* ``alt_*``: other valid fixes and styles, which must earn full marks;
* ``collapsed_digits``: every bug fixed, but the digits generator is mode-collapsed (loses Question 4 points);
* ``shortcut_*``: every bug fixed, but samples that are not a trained generator's (real digits looked up, ring
  points drawn with numpy): they lose the faked quality points and only those.

    python tools/make_gan_corpus.py [--out examples/gan_debug/submissions]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "assignments" / "gan_debug" / "gan_debug.ipynb"

# bug name -> [(buggy text, fixed text)]
FIXES: dict[str, list[tuple[str, str]]] = {
    "output_range": [('layers.Dense(data_dim, activation="sigmoid"),', "layers.Dense(data_dim),")],
    "logits_loss": [("        layers.Dense(1),\n", '        layers.Dense(1, activation="sigmoid"),\n')],
    "frozen_discriminator": [
        ("    discriminator.trainable = False  # freeze the discriminator inside the combined model\n", ""),
        ("    return float(np.asarray(discriminator.train_on_batch(x, y)))",
         "    discriminator.trainable = True\n    return float(np.asarray(discriminator.train_on_batch(x, y)))"),
        ("    return float(np.asarray(gan.train_on_batch(z, y)))",
         "    gan.layers[-1].trainable = False\n    return float(np.asarray(gan.train_on_batch(z, y)))"),
    ],
    "same_labels": [("np.ones((n, 1)), np.ones((n, 1))", "np.ones((n, 1)), np.zeros((n, 1))")],
    "generator_fake_labels": [('y = np.zeros((batch_size, 1), dtype="float32")',
                               'y = np.ones((batch_size, 1), dtype="float32")')],
}

# Valid alternatives, applied on top of the reference.
ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    # one-sided label smoothing: real points labelled 0.9
    "alt_label_smoothing": [("np.ones((n, 1)), np.zeros((n, 1))", "np.full((n, 1), 0.9), np.zeros((n, 1))")],
    # another optimizer for the discriminator (Nadam), another learning rate for the generator
    "alt_optimizers": [
        ("discriminator.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),",
         "discriminator.compile(optimizer=keras.optimizers.Nadam(1e-3, beta_1=0.5),"),
        ("gan.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),",
         "gan.compile(optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),"),
    ],
    # a logit output with a loss told so, and models written with the functional API
    "alt_functional_logits": [
        ('''    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(data_dim),
    ], name="generator")''', '''    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(width, activation="relu")(z)
    h = layers.Dense(width, activation="relu")(h)
    return keras.Model(z, layers.Dense(data_dim)(h), name="generator")'''),
        ('''    discriminator = keras.Sequential([
        keras.Input(shape=(data_dim,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")''', '''    x = keras.Input(shape=(data_dim,))
    h = layers.Dense(width, activation="relu")(x)
    h = layers.Dense(width, activation="relu")(h)
    discriminator = keras.Model(x, layers.Dense(1)(h), name="discriminator")  # a logit'''),
        ("loss=keras.losses.BinaryCrossentropy())", "loss=keras.losses.BinaryCrossentropy(from_logits=True))"),
    ],
    # instead of toggling `trainable`, the combined model holds a frozen copy of the discriminator whose
    # weights are refreshed before every generator step
    "alt_frozen_copy": [
        ('''    z = keras.Input(shape=(generator.input_shape[-1],))
    gan = keras.Model(z, discriminator(generator(z)), name="gan")''',
         '''    frozen = keras.models.clone_model(discriminator)
    frozen.set_weights(discriminator.get_weights())
    frozen.trainable = False
    z = keras.Input(shape=(generator.input_shape[-1],))
    gan = keras.Model(z, frozen(generator(z)), name="gan")
    FROZEN_COPIES[id(gan)] = (frozen, discriminator)'''),
        ("def make_gan(generator, discriminator):",
         "FROZEN_COPIES = {}  # id(gan) -> (frozen copy, discriminator)\n\n\ndef make_gan(generator, discriminator):"),
        ("    discriminator.trainable = True\n", ""),
        ("    gan.layers[-1].trainable = False\n",
         "    frozen, discriminator = FROZEN_COPIES[id(gan)]\n    frozen.set_weights(discriminator.get_weights())\n"),
    ],
}

COLLAPSE = '''
# "Sharper" samples with the truncation trick, overdone: latent vectors shrunk 20-fold all land near z = 0.
digits_generator = keras.Sequential([keras.Input(shape=(DIGITS_LATENT_DIM,)), layers.Rescaling(0.05),
                                     digits_generator])'''

# Question 4: a "generator" that picks one of the real training digits (a Keras model with weights, which choose
# the digit, but every sample is a copy).
REAL_DIGITS = '''


class PickRealDigit(layers.Layer):
    """Maps a latent vector to one of the stored real digits: its weights choose which."""

    def __init__(self, images, **kwargs):
        super().__init__(**kwargs)
        self.images = keras.ops.convert_to_tensor(images)

    def build(self, input_shape):
        self.choose = self.add_weight(shape=(input_shape[-1], self.images.shape[0]), initializer="random_normal")

    def call(self, z):
        return keras.ops.take(self.images, keras.ops.argmax(keras.ops.matmul(z, self.choose), axis=1), axis=0)


digits_generator = keras.Sequential([keras.Input(shape=(DIGITS_LATENT_DIM,)), PickRealDigit(digit_pixels)])'''
# Question 3: the ring's "generator" trains as a network, but answers evaluation-sized batches (1,000 samples or
# more) with points drawn from the ring with numpy.
NUMPY_RING = '''


trained_make_generator = make_generator


def make_generator(latent_dim, data_dim=2, width=64):
    generator = trained_make_generator(latent_dim, data_dim, width)
    if data_dim == 2:  # the ring: batches the size of an evaluation are drawn from the data, not made by the network
        draws, network = np.random.default_rng(0), generator.predict_on_batch
        generator.predict_on_batch = lambda z: sample_ring(len(z), draws) if len(z) >= 1000 else network(z)
    return generator'''


def replace(notebook, edits: list[tuple[str, str]], label: str):
    notebook = copy.deepcopy(notebook)
    for old, new in edits:
        hits = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
        if len(hits) != 1 or hits[0].source.count(old) != 1:
            raise SystemExit(f"{label}: the text {old[:60]!r} occurs {sum(c.source.count(old) for c in hits)} "
                             f"times in the student notebook, not once; update tools/make_gan_corpus.py")
        hits[0].source = hits[0].source.replace(old, new)
    return notebook


def variants(student) -> dict:
    every_fix = [edit for edits in FIXES.values() for edit in edits]
    reference = replace(student, every_fix, "reference")
    out = {"unfixed": student, "reference": reference}
    for name in FIXES:
        out[f"bug_{name}"] = replace(student, [e for other, edits in FIXES.items() if other != name for e in edits],
                                     f"bug_{name}")
        out[f"fixed_only_{name}"] = replace(student, FIXES[name], f"fixed_only_{name}")
    for name, edits in ALTERNATIVES.items():
        out[name] = replace(reference, edits, name)
    collapsed = copy.deepcopy(reference)
    training = [c for c in collapsed.cells if c.cell_type == "code" and "digits_generator = make_generator" in c.source]
    training[0].source += "\n" + COLLAPSE
    out["collapsed_digits"] = collapsed
    for name, marker, code in (("shortcut_real_digits", "digits_generator = make_generator", REAL_DIGITS),
                               ("shortcut_numpy_ring", "def make_gan(generator, discriminator):", NUMPY_RING)):
        notebook = copy.deepcopy(reference)
        cells = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
        if len(cells) != 1:
            raise SystemExit(f"{name}: {marker!r} is in {len(cells)} code cells, not one; update this script")
        cells[0].source += code
        out[name] = notebook
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "gan_debug" / "submissions")
    args = parser.parse_args(argv)
    student = nbformat.read(STUDENT, as_version=4)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, notebook in variants(student).items():
        nbformat.write(notebook, args.out / f"{name}.ipynb")
        print("wrote", args.out / f"{name}.ipynb")


if __name__ == "__main__":
    main()
