"""verify_pack.py runs alone: a fresh interpreter with only the standard library,
``cryptography`` and that one file on its path, as an auditor would run it."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from affidavit.oversight import verify_pack
from tests.oversight._pack_case import Sample, read_zip, write_zip

SOURCE = Path(verify_pack.__file__)


def _third_party_roots() -> list[Path]:
    """cryptography and the compiled cffi backend it loads: nothing else."""
    roots = []
    for module in ("cryptography", "_cffi_backend"):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin)
        roots.append(origin.parent if origin.name == "__init__.py" else origin)
    return roots


@pytest.fixture
def isolated(tmp_path: Path) -> Path:
    """A directory holding verify_pack.py and links to cryptography, and nothing else."""
    shutil.copy(SOURCE, tmp_path / "verify_pack.py")
    lib = tmp_path / "lib"
    lib.mkdir()
    for root in _third_party_roots():
        (lib / root.name).symlink_to(root)
    return tmp_path


def _run(isolated: Path, *args: str) -> subprocess.CompletedProcess[str]:
    paths = sysconfig.get_paths()
    dynload = [p for p in sys.path if p.endswith("lib-dynload")]
    script = (
        "import sys\n"
        f"sys.path = {[paths['stdlib'], *dynload, str(isolated), str(isolated / 'lib')]!r}\n"
        "import verify_pack\n"
        f"code = verify_pack.main({list(args)!r})\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] == 'affidavit')\n"
        "print('modules-from-affidavit:', leaked)\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AFFIDAVIT"))}
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        cwd=isolated,
        env=env,
        timeout=120,
        check=False,
    )


def test_verifies_a_pack_with_nothing_but_the_standard_library(
    isolated: Path, sample: Sample
) -> None:
    done = _run(isolated, str(sample.case_pack), "--key", sample.key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: case.zip verified")
    assert f"entries: {sample.case_entries + 2} included" in done.stdout
    assert "modules-from-affidavit: []" in done.stdout
    assert done.stderr == ""


def test_fails_with_the_file_named_and_no_traceback(
    isolated: Path, sample: Sample, tmp_path: Path
) -> None:
    files = read_zip(sample.case_pack)
    name = next(n for n in files if n.startswith("entries/"))
    files[name] = files[name].replace(b'"type":"', b'"type":"x', 1)
    forged = write_zip(tmp_path / "forged.zip", files)
    done = _run(isolated, str(forged), "--key", sample.key)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {name}: ")
    assert done.stderr.count("\n") == 1
    key_file = tmp_path / "key.txt"
    key_file.write_text(sample.key + "\n")
    assert _run(isolated, str(sample.case_pack), "--key", str(key_file)).returncode == 0
    bad = _run(isolated, str(sample.case_pack), "--key", "garbage")
    assert (bad.returncode, bad.stderr.split(":")[0]) == (2, "error")
    assert "Traceback" not in bad.stderr + done.stderr


def test_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(SOURCE.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert imported - sys.stdlib_module_names == {"cryptography"}
