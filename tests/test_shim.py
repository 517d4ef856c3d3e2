"""`python -m torchlike` runs a script like `python` does, with `import torch` giving torchlike."""

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

INTROSPECTION_SCRIPT = """
import json, sys
import torch
import torch._shim
from torch import _shim as shim_from_import
import torch._shim as shim_as_alias
print(json.dumps({
    "torch_name": torch.__name__,
    "torch_is_torchlike": sys.modules["torch"] is sys.modules["torchlike"],
    "submodule_name": torch._shim.__name__,
    "submodule_is_torchlike_module": shim_as_alias is sys.modules["torchlike._shim"],
    "from_import_is_same": shim_from_import is shim_as_alias,
    "submodule_spec_name": shim_as_alias.__spec__.name,
    "name": __name__,
    "file": __file__,
    "argv_tail": sys.argv[1:],
    "path0": sys.path[0],
}))
"""


def write_script(directory: Path, source: str, name: str = "script.py") -> Path:
    script = directory / name
    script.write_text(textwrap.dedent(source))
    return script


def run_python(*args: str, cwd: Path, extra_path: tuple[str, ...] = ()):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    search_path = [str(REPO_ROOT), *extra_path, os.environ.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, search_path))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def run_torchlike(*args: str, cwd: Path, extra_path: tuple[str, ...] = ()):
    return run_python("-m", "torchlike", *args, cwd=cwd, extra_path=extra_path)


@pytest.fixture(scope="module")
def introspection(tmp_path_factory):
    directory = tmp_path_factory.mktemp("introspect")
    script = write_script(directory, INTROSPECTION_SCRIPT)
    # Run from elsewhere so that the script's own directory must be put on sys.path.
    result = run_torchlike(str(script), "first", "--flag", "last arg", cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), script


def test_import_torch_gives_torchlike(introspection):
    facts, _ = introspection
    assert facts["torch_name"] == "torchlike"
    assert facts["torch_is_torchlike"] is True


def test_torch_submodule_resolves_to_the_torchlike_module(introspection):
    facts, _ = introspection
    assert facts["submodule_name"] == "torchlike._shim"
    assert facts["submodule_is_torchlike_module"] is True
    assert facts["from_import_is_same"] is True
    assert facts["submodule_spec_name"] == "torchlike._shim"


def test_script_sees_main_name_file_argv_and_path(introspection):
    facts, script = introspection
    assert facts["name"] == "__main__"
    assert facts["file"] == str(script)
    assert facts["argv_tail"] == ["first", "--flag", "last arg"]
    assert facts["path0"] == os.path.realpath(script.parent)


@pytest.mark.parametrize(("exit_call", "code"), [("sys.exit(3)", 3), ("sys.exit(0)", 0)])
def test_sys_exit_sets_the_exit_code(tmp_path, exit_call, code):
    script = write_script(tmp_path, f"import sys\n{exit_call}\n")
    assert run_torchlike(str(script), cwd=tmp_path).returncode == code


def test_sys_exit_with_a_message_prints_it_and_exits_1(tmp_path):
    script = write_script(tmp_path, "import sys\nsys.exit('giving up')\n")
    result = run_torchlike(str(script), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith("giving up\n")


def test_uncaught_exception_prints_the_script_traceback_and_exits_1(tmp_path):
    source = """
    def fail():
        raise ValueError("boom")
    fail()
    """
    script = write_script(tmp_path, source)
    result = run_torchlike(str(script), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    # The first frame is the script's own, as under plain python: no runner or runpy frames.
    assert lines[1] == f'  File "{script}", line 4, in <module>'
    assert f'  File "{script}", line 3, in fail' in lines
    assert lines[-1] == "ValueError: boom"
    assert "runpy" not in result.stderr


def test_missing_script_gives_pythons_message_and_exit_code_2(tmp_path):
    result = run_torchlike("no_such_script.py", cwd=tmp_path)
    assert result.returncode == 2
    expected = (
        f"can't open file '{tmp_path / 'no_such_script.py'}': [Errno 2] No such file or directory"
    )
    assert result.stderr.rstrip("\n").endswith(": " + expected)


def test_no_arguments_prints_usage_and_exits_2(tmp_path):
    result = run_torchlike(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m torchlike SCRIPT")


def test_dash_m_runs_a_module_as_main(tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = """
    import sys
    import torch
    print(__name__, torch.__name__, sys.argv[1:])
    """
    write_script(package, source, name="module.py")
    result = run_torchlike("-m", "package.module", "x", "y", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "__main__ torchlike ['x', 'y']\n"


def test_dash_m_with_a_missing_module_reports_it(tmp_path):
    result = run_torchlike("-m", "no_such_module_here", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.rstrip("\n").endswith(": No module named no_such_module_here")


def test_missing_torch_submodule_raises_module_not_found_naming_torch(tmp_path):
    source = """
    try:
        import torch.distributed_does_not_exist
    except ModuleNotFoundError as error:
        print(error.name)
        print(error)
    """
    script = write_script(tmp_path, source)
    result = run_torchlike(str(script), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    name, message = result.stdout.splitlines()
    assert name == "torch.distributed_does_not_exist"
    assert message.startswith("No module named 'torch.distributed_does_not_exist' (")
    assert "does not implement torch.distributed_does_not_exist" in message


def test_real_torch_is_never_imported(tmp_path):
    # An importable `torch` that fails loudly stands in for the real one.
    poisoned = tmp_path / "poisoned"
    (poisoned / "torch").mkdir(parents=True)
    (poisoned / "torch" / "__init__.py").write_text("raise ImportError('real torch imported')\n")
    script = write_script(tmp_path, "import torch\nprint(torch.__name__)\n")
    plain = run_python(str(script), cwd=tmp_path, extra_path=(str(poisoned),))
    assert "real torch imported" in plain.stderr
    shimmed = run_torchlike(str(script), cwd=tmp_path, extra_path=(str(poisoned),))
    assert shimmed.returncode == 0, shimmed.stderr
    assert shimmed.stdout == "torchlike\n"


def test_as_torch_restores_sys_modules_and_meta_path(monkeypatch):
    from torchlike import _shim

    earlier_torch = types.ModuleType("torch")
    earlier_submodule = types.ModuleType("torch.earlier_submodule")
    monkeypatch.setitem(sys.modules, "torch", earlier_torch)
    monkeypatch.setitem(sys.modules, "torch.earlier_submodule", earlier_submodule)
    monkeypatch.delitem(sys.modules, "torch._shim", raising=False)
    meta_path_before = list(sys.meta_path)

    with _shim.as_torch():
        import torch
        import torch._shim

        assert torch is sys.modules["torchlike"]
        assert torch._shim is _shim
        assert "torch.earlier_submodule" not in sys.modules

    assert sys.modules["torch"] is earlier_torch
    assert sys.modules["torch.earlier_submodule"] is earlier_submodule
    assert "torch._shim" not in sys.modules
    assert sys.meta_path == meta_path_before
    assert not _shim.is_installed()
