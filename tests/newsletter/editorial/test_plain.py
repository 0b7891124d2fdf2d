"""The editorial engine is plain Python: importing it loads no ORM and no model
client, so it can be read, tested and reused without a database."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import importlib, json, pkgutil, sys
import newsletter.editorial as engine
names = [m.name for m in pkgutil.walk_packages(engine.__path__, engine.__name__ + ".")]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"django", "openai"})
print(json.dumps({"modules": names, "loaded": loaded}))
"""


def test_importing_the_engine_loads_no_orm_and_no_model_client():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no settings module
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout)

    assert "newsletter.editorial.asking" in found["modules"]
    assert "newsletter.editorial.checks.faithfulness" in found["modules"]
    assert not [m for m in found["loaded"] if m.startswith("django.db")]
    assert not [m for m in found["loaded"] if m.startswith("openai")]
