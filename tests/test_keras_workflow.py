"""examples/keras_workflow.py, a Keras 3 user's everyday script, runs on convlayers with only its import changed.

The same file, with ``import keras``, runs on Keras 3.15 (JAX backend): that is how it was
checked to be plain Keras. Its own assertions check each step (history keys, the CSV log,
iteration counts, the learning rates the callbacks set, predictions of the reloaded model).
"""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "keras_workflow.py"


def test_the_only_change_from_a_keras_script_is_the_import():
    lines = SCRIPT.read_text().splitlines()
    imports = [line for line in lines if "convlayers" in line and line.startswith(("import ", "from "))]
    assert imports == ["import convlayers as keras  # was: import keras"]


def test_the_keras_workflow_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.rstrip().endswith("keras_workflow: every step ran")
    # Keras 3.15's own summary of the script's model (its stdout running on Keras, JAX backend).
    keras_summary = (SCRIPT.parents[1] / "tests" / "fixtures" / "functional" / "workflow_summary.txt").read_text()
    assert result.stdout.startswith(keras_summary)
    assert (tmp_path / "training.csv").read_text().startswith("epoch,accuracy,loss,val_accuracy,val_loss\n")
