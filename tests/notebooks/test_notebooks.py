"""Every tutorial notebook runs top to bottom in a real Jupyter kernel, and its figures show.

The notebooks are executed with nbclient (ipykernel), cwd notebooks/, never the internet
(TFCACHE_NB_INTERNET=0), with Jupyter's, IPython's and matplotlib's folders and the
toolkit's cache home in temporary folders. The total time is printed, not asserted.
Their source is the jupytext percent-format .py beside each .ipynb: a pair that disagrees
fails here (run ``jupytext --sync notebooks/*.py`` after editing a .py).
"""

from __future__ import annotations

import re
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
    "07_what_caching_buys.ipynb": 3,
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
    assert "Models used here:" in text or "Models: preselected" in text, \
        f"{name} does not say which model it used"
    if name == "04_mobilenet_predictions.ipynb":
        _check_the_batch_conclusion(text)
    if name == "07_what_caching_buys.ipynb":  # the real sample counts the stale launches the model computes
        counts = re.findall(r"stale launches (\d+) measured, (\d+) computed", text)
        assert len(counts) == 2 and all(a == b for a, b in counts), counts
    if name == "05_dashboard.ipynb":
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs), \
            "05_dashboard did not display a widget"
    print(f"{name}: {seconds:.1f} s")


def _check_the_batch_conclusion(text: str) -> None:
    """Notebook 04's verdict on batch against one-by-one follows from the times it printed."""
    m = re.search(r"batch ([\d.]+) ms, one by one ([\d.]+) ms", text)
    assert m, "notebook 04 printed no batch timing"
    ratio = float(m.group(2)) / float(m.group(1))
    verdict = next(line for line in text.splitlines() if line.startswith("here "))
    if ratio > 1.16:
        assert "the batch was" in verdict, (ratio, verdict)
    elif ratio < 1 / 1.14:
        assert "one call per image was" in verdict, (ratio, verdict)
    elif 1 / 1.14 < ratio < 1.14:  # away from the edges, where rounding of the printed ms could flip it
        assert "about the same time" in verdict, (ratio, verdict)


@pytest.fixture
def offline_without_models(kernel_env, monkeypatch):
    """No models folder (the variable points at an empty one, so ../shared is not looked at)."""
    empty = kernel_env / "no_models_here"
    empty.mkdir()
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(empty))
    return empty


def test_quickstart_offline_uses_the_embedded_model_and_predicts_for_real(offline_without_models):
    """No models on disk and no internet: the real model inside the package, real classes."""
    nb, _ = execute(NOTEBOOKS / "01_quickstart.ipynb")
    text = text_of(nb)
    assert "mobilenet_v1_0.25_224: the real model shipped inside tfcache_nb" in text
    assert "SYNTHETIC" not in text and "mean nothing" not in text
    assert "bow tie" in text and "suit" in text  # random weights would not see a bow tie and a suit


def test_predictions_notebook_offline_shows_real_predictions(offline_without_models):
    """Notebook 04 offline with no models: the embedded 0.25 gives Grace Hopper's real top-5."""
    nb, _ = execute(NOTEBOOKS / "04_mobilenet_predictions.ipynb")
    text = text_of(nb)
    assert "mobilenet_v1_0.25_224: the real model shipped inside tfcache_nb" in text
    assert "bow tie" in text and "suit" in text


def test_storage_notebook_offline_says_its_accuracy_figures_are_meaningless(offline_without_models):
    nb, _ = execute(NOTEBOOKS / "02_storage_and_the_10mb_cap.ipynb")
    text = text_of(nb)
    assert "mobilenet_v1_0.75_224: SYNTHETIC" in text
    assert "These accuracy figures are MEANINGLESS" in text


def test_storage_notebook_with_the_real_model_concludes_from_its_own_figures(kernel_env, models_dir, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(models_dir))
    nb, _ = execute(NOTEBOOKS / "02_storage_and_the_10mb_cap.ipynb")
    text = text_of(nb)
    assert "MEANINGLESS" not in text
    table = {line.split()[0]: line for line in text.splitlines()
             if re.match(r"(uint8|uint16|float16) +(cache|network) ", line)}
    for form, line in table.items():
        share = int(re.findall(r"(\d+)%", line)[0]) / 100
        verdict = next(v for v in text.splitlines() if v.startswith(form) and "stored in" in v)
        assert ("keeps every top-1 class" in verdict) == (share == 1), (line, verdict)


# -- the .py sources and the .ipynb files ---------------------------------------------------------
def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_notebook_matches_its_text_source(name):
    jupytext = pytest.importorskip("jupytext", reason="jupytext is not installed (pip install -e '.[dev]')")
    source = NOTEBOOKS / name.replace(".ipynb", ".py")
    assert source.is_file(), f"{source.name} (the notebook's source) is missing"
    from_text = jupytext.read(source)
    committed = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert _cells(from_text) == _cells(committed), \
        f"{name} and {source.name} disagree: edit the .py, then run `jupytext --sync notebooks/*.py`"
    assert committed.metadata["jupytext"]["formats"] == "ipynb,py:percent"


def test_every_source_has_its_notebook():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == sorted(n.removesuffix(".ipynb") for n in EXPECTED)


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
