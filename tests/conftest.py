import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# The suite runs one xdist worker per core; a second intra-op thread per worker only
# oversubscribes the cores, and on a busy machine tiny ops then spin-wait (measured: a
# 60-step training loop took 2.9 s with 2 threads, 0.08 s with 1).
torch.set_num_threads(1)

# Hypothesis profiles (tests/test_properties.py). `ci`, the default and what `make test` runs: the same
# derandomized examples on every run, so a failure in CI reproduces anywhere. `fuzz` (`make fuzz`, driven by
# tests/fuzz.py): fresh examples from --hypothesis-seed, FUZZ_EXAMPLES per round (times each property's weight).
_PROFILE_COMMON = dict(
    deadline=None,  # shared 2-core machines: timing is noise, not a property
    database=None,  # reproducible by profile and seed alone; failures print their blob
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile("ci", max_examples=700, derandomize=True, **_PROFILE_COMMON)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")), **_PROFILE_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# tests/fixtures/ holds the scripts that wrote the fixtures with real Keras (run by hand, in a venv that has it);
# they are not tests, and several share a file name, so pytest does not import them.
collect_ignore_glob = ["fixtures/*"]

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)


# -- CUDA --------------------------------------------------------------------------------------
#: Why the tests marked `cuda` skip on CI (one skip per test function: they loop over their cases inside).
NO_CUDA = "needs a CUDA device; CI machines have none"


def pytest_configure(config):
    config.addinivalue_line("markers", f"cuda: runs on a CUDA device only; skipped otherwise ({NO_CUDA})")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason=NO_CUDA)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture
def cuda_device() -> torch.device:
    """The CUDA device a `cuda`-marked test runs on (the test skips first where there is none)."""
    if not torch.cuda.is_available():
        pytest.skip(NO_CUDA)
    return torch.device("cuda")
