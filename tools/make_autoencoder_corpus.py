"""Writes examples/autoencoder/submissions/ from the built student notebook and the master's solutions (run
`autograder build autoencoder` first).

``reference`` is the student notebook with every answer cell filled in from solutions/autoencoder (Otter's
solution markers removed). Every other notebook is the reference with exact text replacements, so the corpus
follows the notebook when it changes (a replacement that no longer matches stops the script). Every variant is
written for ``IMAGE_SHAPE``, so the corpus grades at both scales (examples/autoencoder/expected.json at the
small scale, expected_full.json at the full scale):

* valid variants, which must earn full marks: other code sizes, dense and convolutional models, the MSE loss,
  the functional API, subclassed models;
* ``bug_*``: one planted mistake each, which must lose the points of the test that catches it;
* ``shortcut_*``: a trained model replaced by a lookup of the data set's images (perfect-looking outputs that
  are copies), which must lose the quality points of that model's question and only those.

    python tools/make_autoencoder_corpus.py [--out examples/autoencoder/submissions]
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "assignments" / "autoencoder" / "autoencoder.ipynb"
MASTER = ROOT / "solutions" / "autoencoder" / "autoencoder.ipynb"

ENCODER = '''    return keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(latent_dim),  # no activation: a code may be any real vector
    ], name="encoder")'''
DECODER = '''    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid"),  # one value in (0, 1) per pixel
        layers.Reshape(IMAGE_SHAPE),
    ], name="decoder")'''
BCE = 'loss="binary_crossentropy")'
CONV_ENCODER = '''    return keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # half the height and width
        layers.Flatten(),
        layers.Dense(latent_dim),
    ])'''


def conv_decoder(upsampling: bool) -> str:
    grow = ('''        layers.UpSampling2D(),
        layers.Conv2D(8, 3, padding="same", activation="relu"),''' if upsampling else
            '''        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),''')
    return f'''    height, width = IMAGE_SHAPE[0] // 2, IMAGE_SHAPE[1] // 2
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(height * width * 16, activation="relu"),
        layers.Reshape((height, width, 16)),
{grow}
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])'''


# notebook name -> [(text in the reference, replacement)]
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "reference": [],
    "conv": [(ENCODER, CONV_ENCODER), (DECODER, conv_decoder(upsampling=False))],
    "conv_upsampling": [(ENCODER, CONV_ENCODER), (DECODER, conv_decoder(upsampling=True))],
    "deep_dense": [
        ('''        layers.Dense(64, activation="relu"),
        layers.Dense(latent_dim),  # no activation: a code may be any real vector
    ], name="encoder")''', '''        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(latent_dim),
    ])'''),
        ('''        layers.Dense(64, activation="relu"),
        layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid"),  # one value in (0, 1) per pixel
        layers.Reshape(IMAGE_SHAPE),
    ], name="decoder")''', '''        layers.Dense(32, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid"),
        layers.Reshape(IMAGE_SHAPE),
    ])'''),
    ],
    "latent_8": [("LATENT_DIM = 16", "LATENT_DIM = 8")],
    "latent_32": [("LATENT_DIM = 16", "LATENT_DIM = 32")],
    "mse_loss": [(BCE, 'loss="mse")')] * 2,
    "functional_api": [
        (ENCODER, '''    images = keras.Input(shape=IMAGE_SHAPE, name="image")
    hidden = layers.Dense(64, activation="relu")(layers.Flatten()(images))
    code = layers.Dense(latent_dim, name="code")(hidden)
    return keras.Model(images, code, name="encoder")'''),
        (DECODER, '''    code = keras.Input(shape=(latent_dim,), name="code")
    hidden = layers.Dense(64, activation="relu")(code)
    pixels = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid")(hidden)
    return keras.Model(code, layers.Reshape(IMAGE_SHAPE)(pixels), name="decoder")'''),
        ('''inputs = keras.Input(shape=IMAGE_SHAPE)
autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")''',
         '''autoencoder = keras.Sequential([encoder, decoder], name="autoencoder")'''),
    ],
    "subclassed": [
        ('''def build_encoder(latent_dim):''', '''class Encoder(keras.Model):
    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(64, activation="relu")
        self.code = layers.Dense(latent_dim)

    def call(self, images):
        return self.code(self.hidden(self.flatten(images)))


def build_encoder(latent_dim):'''),
        (ENCODER, "    return Encoder(latent_dim)"),
        ('''def build_decoder(latent_dim):''', '''class Decoder(keras.Model):
    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(64, activation="relu")
        self.pixels = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid")

    def call(self, codes):
        return keras.ops.reshape(self.pixels(self.hidden(codes)), (-1, *IMAGE_SHAPE))


def build_decoder(latent_dim):'''),
        (DECODER, "    return Decoder(latent_dim)"),
        ('''encoder = build_encoder(LATENT_DIM)''', '''class Autoencoder(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, images):
        return self.decoder(self.encoder(images))


encoder = build_encoder(LATENT_DIM)'''),
        ('''inputs = keras.Input(shape=IMAGE_SHAPE)
autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")''',
         "autoencoder = Autoencoder(encoder, decoder)"),
        ('''noisy_inputs = keras.Input(shape=IMAGE_SHAPE)
denoiser = keras.Model(noisy_inputs, build_decoder(LATENT_DIM)(build_encoder(LATENT_DIM)(noisy_inputs)),
                       name="denoiser")''',
         "denoiser = Autoencoder(build_encoder(LATENT_DIM), build_decoder(LATENT_DIM))"),
    ],
    # Question 3: the code has as many numbers as the image has pixels
    "bug_no_bottleneck": [("LATENT_DIM = 16", "LATENT_DIM = int(np.prod(IMAGE_SHAPE))  # as many numbers as pixels")],
    # Question 2: a linear output (trained with the MSE, so that training still works)
    "bug_linear_output": [
        ('layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid"),',
         "layers.Dense(int(np.prod(IMAGE_SHAPE))),"),
        *[(BCE, 'loss="mse")')] * 2,
    ],
    # Question 3: one epoch of training
    "bug_one_epoch": [("history = autoencoder.fit(x_train, x_train, epochs=30,",
                       "history = autoencoder.fit(x_train, x_train, epochs=1,")],
    # Question 4: the denoiser learns to reproduce its noisy input
    "bug_denoiser_noisy_targets": [
        ("denoiser.fit(x_train_noisy, x_train, epochs=30, batch_size=64, validation_data=(x_val_noisy, x_val),",
         "denoiser.fit(x_train_noisy, x_train_noisy, epochs=30, batch_size=64, "
         "validation_data=(x_val_noisy, x_val_noisy),")],
    # Question 5: the score is the image's brightness, not its reconstruction error
    "bug_score_ignores_reconstruction": [
        ('''    """One reconstruction error per image: the mean squared error between x and model's reconstruction."""
    x = np.asarray(x, dtype="float32")
    reconstructions = np.asarray(model.predict(x, verbose=0))
    return np.mean((x - reconstructions) ** 2, axis=tuple(range(1, x.ndim)))''',
         '''    x = np.asarray(x, dtype="float32")
    return x.reshape(len(x), -1).mean(axis=1)  # how much ink: images are darker than blank paper''')],
    # Question 6: a cross-fade of the pixels instead of a walk in the latent space
    "bug_pixel_interpolation": [
        ('''    """Decoded images along the straight line between the codes of x_a and x_b, ends included."""
    codes = encoder.predict(np.stack([x_a, x_b]).astype("float32"), verbose=0)
    path = np.linspace(codes[0], codes[1], steps)  # shape (steps, latent_dim)
    return np.asarray(decoder.predict(path, verbose=0))''',
         '''    t = np.linspace(0.0, 1.0, steps)[:, None, None, None]
    return (1 - t) * x_a + t * x_b''')],
    # Question 3: `autoencoder` is the encoder alone (a later demonstration cell raises)
    "bug_autoencoder_is_encoder": [
        ('''autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="binary_crossentropy")
history = autoencoder.fit(''', '''model = keras.Model(inputs, decoder(encoder(inputs)))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="binary_crossentropy")
history = model.fit('''),
        ("validation_data=(x_val, x_val), verbose=0)",
         "validation_data=(x_val, x_val), verbose=0)\nautoencoder = encoder"),
    ],
}

# A layer that returns the stored image whose key is nearest to its input: copies, not reconstructions.
LOOKUP_LAYER = '''

class NearestStoredImage(layers.Layer):
    """Maps its input to the stored image whose key (a code, or the image's pixels) is nearest to it."""

    def __init__(self, keys, images, **kwargs):
        super().__init__(**kwargs)
        self.keys = keras.ops.convert_to_tensor(np.asarray(keys, dtype="float32").reshape(len(keys), -1))
        self.images = keras.ops.convert_to_tensor(np.asarray(images, dtype="float32").reshape(len(images), -1))

    def call(self, x):
        x = keras.ops.reshape(x, (keras.ops.shape(x)[0], -1))
        distances = keras.ops.sum((keras.ops.expand_dims(x, 1) - keras.ops.expand_dims(self.keys, 0)) ** 2, axis=-1)
        nearest = keras.ops.take(self.images, keras.ops.argmin(distances, axis=1), axis=0)
        return keras.ops.reshape(nearest, (-1, *IMAGE_SHAPE))
'''
STORED = "np.concatenate([x_train, x_val, x_test])"
SHORTCUTS: dict[str, list[tuple[str, str]]] = {
    # Question 3: the trained decoder is replaced by a lookup of every image of the data set by its code
    "shortcut_lookup_decoder": [
        ("validation_data=(x_val, x_val), verbose=0)",
         "validation_data=(x_val, x_val), verbose=0)" + LOOKUP_LAYER + f"""
stored = {STORED}
decoder = keras.Sequential([keras.Input(shape=(LATENT_DIM,)),
                            NearestStoredImage(encoder.predict(stored, verbose=0), stored)])
autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")"""),
    ],
    # Question 4: the trained denoiser's output is snapped to the nearest clean image of the data set
    "shortcut_lookup_denoiser": [
        ("validation_data=(x_val_noisy, x_val), verbose=0)",
         "validation_data=(x_val_noisy, x_val), verbose=0)" + LOOKUP_LAYER + f"""
stored = {STORED}
denoiser = keras.Sequential([keras.Input(shape=IMAGE_SHAPE), denoiser, NearestStoredImage(stored, stored)])"""),
    ],
}
VARIANTS.update(SHORTCUTS)

_MARKER = re.compile(r"^\s*# (BEGIN|END) SOLUTION.*$")


def solution_source(master_source: str) -> str:
    """A master cell's code as a student would write it: Otter's solution markers removed."""
    lines = [line for line in master_source.splitlines() if not _MARKER.match(line)]
    return "\n".join(re.sub(r"\s+# SOLUTION$", "", line) for line in lines)


def reference_notebook():
    student = nbformat.read(STUDENT, as_version=4)
    master = {cell.id: cell for cell in nbformat.read(MASTER, as_version=4).cells}
    for cell in student.cells:
        source = master.get(cell.id, cell).source
        if cell.cell_type == "code" and "SOLUTION" in source:
            cell.source = solution_source(source)
    return student


def variant(reference, name: str, replacements: list[tuple[str, str]]):
    notebook = copy.deepcopy(reference)
    for old, new in replacements:
        cells = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
        if not cells:
            raise SystemExit(f"{name}: the reference no longer contains {old[:80]!r}; update this script")
        cells[0].source = cells[0].source.replace(old, new, 1)
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "autoencoder" / "submissions")
    args = parser.parse_args()
    reference = reference_notebook()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, replacements in VARIANTS.items():
        nbformat.write(variant(reference, name, replacements), args.out / f"{name}.ipynb")
    print(f"wrote {len(VARIANTS)} notebooks to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
