"""The README's Serve example, run as shown against a server started as shown (real clock,
default flags but a free port)."""

import os
import re
import subprocess
import sys

from emu import ROOT


def test_readme_example_runs_as_shown(start):
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("## Serve", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 11
    s = start(manual=False)
    code = code.replace("http://127.0.0.1:8090", s.url)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "8"
