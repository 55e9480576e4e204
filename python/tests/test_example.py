"""The worked example of docs/python.md runs as a script, writing its plot into a temp dir."""
import subprocess
import sys

import pytest

from conftest import ROOT, subprocess_env


def test_example_script_writes_the_plot(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    env = subprocess_env(MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "python_intensity.py"), "--out", str(tmp_path),
                             "--epochs", "1"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    png = tmp_path / "intensity.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "epoch  1" in result.stdout and (tmp_path / "predictions.csv").exists()
