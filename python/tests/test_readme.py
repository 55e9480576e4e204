"""The Python block of the README's CLI section runs verbatim (as tools/readme_commands.sh runs
the CLI block), from a scratch copy of the shipped data."""
import re
import shutil
import subprocess
import sys

from conftest import ROOT, subprocess_env


def readme_python_block():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## CLI\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "expected one python block in the README's CLI section"
    return blocks[0]


def test_readme_python_block_runs(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "out").mkdir()
    script = tmp_path / "readme.py"
    script.write_text(readme_python_block())
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "thp.tpp").exists() and (tmp_path / "out" / "preds.jsonl").exists()
