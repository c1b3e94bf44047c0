"""A tiny test runner: every test_* function of tests/test_*.py, one line per failure.

Its output is the same on every machine (no timings, no absolute paths), so the demo's
recorded transcript matches wherever it is replayed.
"""

import importlib.util
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
passed = failed = 0
for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in sorted(n for n in dir(module) if n.startswith("test_")):
        try:
            getattr(module, name)()
            passed += 1
        except Exception as exc:
            failed += 1
            print(f"FAILED {path.name}::{name}: {type(exc).__name__}: {exc}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
