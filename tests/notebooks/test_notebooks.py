"""Every tutorial notebook runs top to bottom in a real Jupyter kernel, and its figures show.

The notebooks are executed with nbclient (ipykernel), cwd notebooks/, never the internet
(TFCACHE_NB_INTERNET=0), with Jupyter's, IPython's and matplotlib's folders and the
toolkit's cache home in temporary folders. The total time is printed, not asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[dev]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[dev]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[dev]')")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# notebook -> the least number of image outputs it must show (05 shows a widget instead)
EXPECTED = {
    "01_quickstart.ipynb": 2,
    "02_storage_and_the_10mb_cap.ipynb": 3,
    "03_latency_experiments.ipynb": 2,
    "04_mobilenet_predictions.ipynb": 2,
    "05_dashboard.ipynb": 0,
    "06_will_it_fit.ipynb": 2,
}
_TIMES: dict[str, float] = {}


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """Isolate everything the kernel writes; no internet; the kernel inherits this env."""
    for var, sub in (("JUPYTER_DATA_DIR", "jupyter_data"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "matplotlib"), ("TFCACHE_NB_HOME", "tfcache_home"),
                     ("JUPYTER_CONFIG_DIR", "jupyter_config"), ("JUPYTER_RUNTIME_DIR", "jupyter_runtime")):
        folder = tmp_path / sub
        folder.mkdir()
        monkeypatch.setenv(var, str(folder))
    monkeypatch.setenv("TFCACHE_NB_INTERNET", "0")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return tmp_path


def execute(path: Path) -> tuple["nbformat.NotebookNode", float]:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    return nb, time.perf_counter() - start


def outputs(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def text_of(nb) -> str:
    parts = []
    for out in outputs(nb):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_every_notebook_is_listed():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} was committed with outputs"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_clean(name, kernel_env, request):
    nb, seconds = execute(NOTEBOOKS / name)
    _TIMES[name] = seconds
    outs = outputs(nb)
    errors = [o for o in outs if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    images = [o for o in outs if "image/png" in o.get("data", {})]
    assert len(images) >= EXPECTED[name], f"{name} showed {len(images)} figures, expected {EXPECTED[name]}"
    text = text_of(nb)
    assert "Traceback" not in text
    if name != "05_dashboard.ipynb":
        assert "Models:" in text, f"{name} does not say where its models came from"
    else:
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs), \
            "05_dashboard did not display a widget"
    print(f"{name}: {seconds:.1f} s")


def test_quickstart_falls_back_to_the_synthetic_model(kernel_env, monkeypatch):
    """No models on disk and no internet: the quickstart still runs, and says it is synthetic."""
    empty = kernel_env / "no_models_here"
    empty.mkdir()
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(empty))
    nb, _ = execute(NOTEBOOKS / "01_quickstart.ipynb")
    text = text_of(nb)
    assert "SYNTHETIC" in text
    assert "predictions mean nothing" in text or "mean nothing" in text


@pytest.fixture(scope="module", autouse=True)
def _report_total(request):
    yield
    if _TIMES:
        line = ", ".join(f"{k} {v:.1f} s" for k, v in _TIMES.items())
        msg = f"notebooks executed in {sum(_TIMES.values()):.1f} s in all ({line})"
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or capture is None:  # pragma: no cover
            print(msg)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(msg)
