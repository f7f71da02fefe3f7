"""Code run in every kernel before the first student cell. Sent as source (see ``setup_code``).

- Preload (``preload_code``, run before the rest): the assignment's libraries (numpy, keras...) are imported
  before the first cell, timed apart since that is the notebook's own import, done ahead.
- Seeds: Python's and NumPy's global generators and every preloaded framework, then any framework the
  notebook imports later as soon as it does (an import hook), with TensorFlow's op determinism and PyTorch's
  deterministic algorithms. Same submission, same seed, same machine: same grade.
- Output: each cell's stdout and stderr are cut after a byte limit, so a runaway print loop cannot flood the
  grader; the grader still sees that the limit was reached and flags the submission.
Nothing here is a security boundary (the notebook can undo it); it keeps honest notebooks deterministic and
cheap. The checker trusts none of it.
"""

_SOURCE = r'''
def _autograder_setup(seed, output_limit):
    import importlib
    import importlib.util
    import random
    import sys

    def seed_framework(name, module):
        try:
            if name == "keras":
                module.utils.set_random_seed(seed)
            elif name == "tensorflow":
                module.random.set_seed(seed)
                module.config.experimental.enable_op_determinism()
            elif name == "torch":
                module.manual_seed(seed)
                module.use_deterministic_algorithms(True, warn_only=True)
        except Exception as error:  # a framework version without these: grade anyway, and say so
            print(f"[grader] could not seed {name}: {error}", file=sys.stderr)

    class SeedOnImport:
        targets = {"keras", "tensorflow", "torch"}

        def find_spec(self, name, path=None, target=None):
            if name not in self.targets:
                return None
            self.targets.discard(name)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return None
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                seed_framework(name, module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, SeedOnImport())

    # The course's libraries were imported just before (``preload_code``; while the previous submission was still
    # being graded, for a warm kernel); now everything is seeded, so a warm and a cold kernel start alike.
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    for name in ("keras", "tensorflow", "torch"):
        if name in sys.modules:
            seed_framework(name, sys.modules[name])

    class LimitedStream:
        def __init__(self, stream):
            self._stream = stream
            self.written = 0

        def write(self, text):
            if self.written >= output_limit:
                return len(text)
            allowed = text[: output_limit - self.written]
            self.written += len(text)
            self._stream.write(allowed)
            if self.written >= output_limit:
                self._stream.write(f"\n[the grader cut this cell's output at {output_limit:,} characters]\n")
            return len(text)

        def __getattr__(self, name):
            return getattr(self._stream, name)

    streams = [LimitedStream(sys.stdout), LimitedStream(sys.stderr)]
    sys.stdout, sys.stderr = streams

    def new_cell(*args):
        for stream in streams:
            stream.written = 0

    get_ipython().events.register("pre_execute", new_cell)


_autograder_setup(SEED, OUTPUT_LIMIT)
del _autograder_setup
'''

_PRELOAD = r'''
def _autograder_preload(names):
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # the notebook's own import will say so, in its cell
            pass


_autograder_preload(PRELOAD)
del _autograder_preload
'''


def preload_code(preload: tuple[str, ...] = ("numpy",)) -> str:
    """Imports the assignment's libraries; run before ``setup_code``, which then seeds what they loaded."""
    return _PRELOAD.replace("PRELOAD", repr([name for name in preload if name.isidentifier()]))


def setup_code(seed: int, output_limit: int) -> str:
    return _SOURCE.replace("SEED", str(int(seed))).replace("OUTPUT_LIMIT", str(int(output_limit)))
