# The course's GPU grading image. `autograder grade … --sandbox docker` runs each student kernel in a throw-away
# container of it (autograder/sandbox/docker.py), with no network: everything a kernel may need is installed here.
# Build from the repository root:
#   docker build -f grader.Dockerfile -t autograder-grader:latest .
# Check that TensorFlow sees a GPU (needs the NVIDIA container toolkit on the host):
#   docker run --rm --gpus all autograder-grader:latest

# TensorFlow 2.21 built for CUDA, on Python 3.11: the version pyproject.toml asks for. A fixed tag, so a rebuild
# gets the same libraries. An offline site or CI passes a local base instead (`--build-arg BASE=...`) that has
# Python 3.11 with pip, bash and util-linux.
ARG BASE=tensorflow/tensorflow:2.21.0-gpu
FROM ${BASE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/autograder
COPY pyproject.toml README.md ./
COPY autograder/ ./autograder/

# pyproject.toml asks for tensorflow-cpu, which would overwrite the base image's CUDA build of TensorFlow. So the
# project's dependencies are installed with the base's own TensorFlow distribution in its place (tensorflow on the
# GPU image, tensorflow-cpu on a CPU base; the version pyproject.toml asks for, which the base must have), so keras
# and numpy stay the ones TensorFlow was tested with; then the project itself without dependencies. Last, what the
# grader's kernel command needs must be there: python with ipykernel, and prlimit (util-linux) for the memory limit.
RUN python -c "import tomllib, importlib.metadata as m; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
names = {(d.metadata['Name'] or '').lower().replace('_', '-') for d in m.distributions()}; \
tf = next((n for n in ('tensorflow', 'tensorflow-cpu') if n in names), 'tensorflow'); \
print('\n'.join(d.replace('tensorflow-cpu', tf, 1) for d in deps))" > /tmp/requirements.txt \
 && python -m pip install --no-cache-dir -r /tmp/requirements.txt \
 && python -m pip install --no-cache-dir --no-deps . \
 && rm /tmp/requirements.txt \
 && python -c "import autograder, ipykernel, keras, matplotlib, sklearn, tensorflow" \
 && prlimit --version

# A grader running as root starts kernels as uid 1000 (it passes --user; USER below is for starting the image by
# hand); one that is not root starts them as itself. Some base images already have a uid 1000 (ubuntu): it makes way.
RUN if id -u 1000 >/dev/null 2>&1; then userdel --remove "$(id -nu 1000)"; fi \
 && useradd --uid 1000 --user-group --create-home --shell /bin/bash grader

# Kernels run with --network none: pip and Hugging Face are told so, and fail at once instead of retrying. The
# grader points HOME and the caches into each kernel's work folder; these are the defaults for a container started
# by hand.
ENV PIP_NO_INDEX=1 \
    HF_HUB_OFFLINE=1 \
    HF_DATASETS_OFFLINE=1 \
    KERAS_BACKEND=tensorflow \
    HOME=/home/grader \
    KERAS_HOME=/home/grader/.keras \
    MPLCONFIGDIR=/home/grader/.matplotlib \
    MPLBACKEND=Agg \
    TF_CPP_MIN_LOG_LEVEL=2

# Numeric, so that a runtime can tell it is not root without reading the image's /etc/passwd.
USER 1000:1000
WORKDIR /home/grader

CMD ["python", "-c", "import tensorflow as tf; print('TensorFlow', tf.__version__, tf.config.list_physical_devices('GPU'))"]
