"""``loyalscope.preload``: SciPy imported in a background thread beside the load."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True).stdout


def test_numerics_are_imported_by_the_thread() -> None:
    out = _run("import sys\nfrom loyalscope import preload\n"
               "assert 'scipy.stats' not in sys.modules\n"
               "preload.in_background().join()\n"
               "print(all(m in sys.modules for m in preload.NUMERICS), 'loyalscope.analysis' in sys.modules)")
    assert out.split() == ["True", "False"]  # SciPy, and nothing of Loyalscope's analysis


def test_a_failed_import_is_left_to_the_code_that_needs_it() -> None:
    out = _run("import sys\nfrom loyalscope import preload\n"
               "t = preload.in_background(['loyalscope_no_such_module', 'colorsys'])\nt.join()\n"
               "print(t.is_alive(), 'colorsys' in sys.modules)\n"
               "try:\n    import loyalscope_no_such_module\nexcept ModuleNotFoundError as e:\n    print('raised', e.name)")
    assert out.split() == ["False", "True", "raised", "loyalscope_no_such_module"]
