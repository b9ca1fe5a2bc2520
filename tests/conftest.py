import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

# The suite runs one xdist worker per core; a second intra-op thread per worker only
# oversubscribes the cores, and on a busy machine tiny ops then spin-wait (measured: a
# 60-step training loop took 2.9 s with 2 threads, 0.08 s with 1).
torch.set_num_threads(1)

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)
