"""The layout's promises (README "Architecture", "Settings"): no work at import time, light CLI commands,
and one settings table that matches the code. The import rules themselves are `lint-imports`'."""

import json
import re
import subprocess
import sys

from streams.settings import VARIABLES
from tests.support import REPO

HEAVY = ("faust", "spacy", "aiokafka", "onnxruntime")


def _run(code: str, tmp_path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "WIRESTREAM_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


CLI = """
import json, sys
from streams.cli import main
sys.argv = ["wirestream", *{args!r}]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_help_and_broker_status_import_neither_faust_nor_spacy(tmp_path):
    for args in (["--help"], ["broker", "status"], ["broker", "--help"], ["replay", "--help"], ["formats"]):
        assert _run(CLI.format(args=args, heavy=HEAVY), tmp_path) == [], args


IMPORT_ALL = """
import json, pkgutil, importlib, socket, sys
import faust

apps, connects = [], []
init = faust.App.__init__
faust.App.__init__ = lambda self, *a, **k: (apps.append(a), init(self, *a, **k))[1]
connect = socket.socket.connect
socket.socket.connect = lambda self, *a: (connects.append(a), connect(self, *a))[1]
names = []
for pkg in ("schemas", "agents", "streams"):
    mod = importlib.import_module(pkg)
    names.append(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
            names.append(info.name)
print(json.dumps({"modules": len(names), "apps": len(apps), "connects": len(connects)}))
"""


def test_importing_every_module_starts_no_app_and_opens_no_connection(tmp_path):
    seen = _run(IMPORT_ALL, tmp_path)
    assert seen["modules"] > 40  # every module was imported, not just the packages
    assert seen["apps"] == 0 and seen["connects"] == 0
    assert not (tmp_path / "home").exists()  # nothing read or written under $WIRESTREAM_HOME


def test_readme_settings_table_matches_the_settings_object():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(WIRESTREAM_\w+)` \| (.*?) \| (.*?) \|$", section, flags=re.M)
    documented = {name: (default, meaning) for name, default, meaning in rows}
    expected = {v.name: (f"`{v.default}`" if v.default is not None else "—", v.meaning) for v in VARIABLES}
    assert documented == expected
