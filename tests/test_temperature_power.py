"""Temperature's statistical tests draw enough samples: at the sizes its master notebook uses, every plausible bug
of tools/temperature_power.py that the old 20,000 draws caught is still caught, but for a chance below 1e-12. (A
valid sampler fails with a chance of at most 3e-6 whatever the size: the p-value threshold is unchanged.)"""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _power_tool():
    spec = importlib.util.spec_from_file_location("temperature_power", ROOT / "tools" / "temperature_power.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_chi_square_tests_still_catch_every_bug_the_old_sample_sizes_caught():
    power = _power_tool()
    source = (ROOT / "solutions" / "temperature" / "temperature.ipynb").read_text()
    draws = int(re.search(r"draws_per_temperature = (\d+)", source).group(1))
    length = int(re.search(r"temperature, length = 0\.6, (\d+)", source).group(1))
    assert draws < 20000 and length < 20000
    for test, size in ((power.q3_power, draws), (power.q4_power, length)):
        before, now = test(20000), test(size)
        caught_before = [bug for bug, chance in before.items() if chance > 1 - 1e-15]
        assert len(caught_before) >= 13
        missed = {bug: 1 - now[bug] for bug in caught_before if now[bug] < 1 - 1e-12}
        assert not missed, f"{test.__name__} at {size}: {missed}"
