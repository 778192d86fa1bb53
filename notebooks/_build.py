"""Write the tutorial notebooks (without outputs) from the cell texts below.

The notebooks are the product; this script only keeps their shared set-up cell identical.
Run it after editing a cell here: ``python notebooks/_build.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP_MD = """\
### Where the models come from

The next cell only decides where the MobileNet files come from, so that this notebook runs
anywhere, with or without the internet:

1. **real models on this machine**: the folder in `$TFCACHE_NB_MODEL_DIR`, else the
   `shared/models` folder beside the repository; they are served over real HTTP on
   127.0.0.1 by `tc.ModelServer`, just as a web server would serve them;
2. **the real URLs** on Google's storage, when the internet answers (on Binder, for example);
3. otherwise a **synthetic MobileNet**: the real architecture with random weights, written to
   a temporary folder and served locally. Its sizes and load times are real; its predictions
   mean nothing. The output says which one you got.
"""

SETUP_CODE = """\
%matplotlib inline
import os
import tempfile
from pathlib import Path

import tfcache_nb as tc

# The real model URLs on the internet are optional. None: use them only when no local copy
# is found and Google's storage answers; True: always use them; False: never (the tests).
USE_INTERNET = {"1": True, "0": False}.get(os.environ.get("TFCACHE_NB_INTERNET", ""))
GOOGLE_URL = "https://storage.googleapis.com/tfjs-models/tfjs/{}/model.json"
NEEDED = __NEEDED__  # the models this notebook uses


def local_models_folder():
    \"\"\"$TFCACHE_NB_MODEL_DIR if set, else ../../shared/models (beside the repository).\"\"\"
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    folder = Path(env) if env else Path("../../shared/models")
    return folder.resolve() if (folder / NEEDED[0] / "model.json").is_file() else None


def internet_answers():
    import requests
    try:
        return requests.head(GOOGLE_URL.format(NEEDED[0]), timeout=3).ok
    except requests.RequestException:
        return False


MODELS = local_models_folder()
server = None
if USE_INTERNET or (MODELS is None and USE_INTERNET is None and internet_answers()):
    MODE = "internet"
    def url_of(name):
        return GOOGLE_URL.format(name)
    print("Models: Google's real MobileNet files, over the internet (storage.googleapis.com).")
else:
    if MODELS is None:
        MODE = "synthetic"
        MODELS = Path(tempfile.mkdtemp(prefix="tfcache_nb_synthetic_"))
        for name in NEEDED:
            if "graph" not in name:  # the synthetic model is a layers model only
                alpha = float(name.split("_")[2])
                tc.io_for(MODELS / name).save(tc.synthetic_mobilenet(alpha=alpha))
        print("Models: SYNTHETIC MobileNet v1 (the real architecture, random weights: its "
              "predictions mean nothing), since no local models and no internet were found.")
    else:
        MODE = "local"
        print(f"Models: the real MobileNet files in {MODELS}")
    server = tc.ModelServer(MODELS).start()  # a real HTTP server on 127.0.0.1
    def url_of(name):
        return f"{server.url}/{name}/model.json"
    print(f"served over HTTP by tc.ModelServer at {server.url}")
"""

CLEANUP_CODE = """\
if server is not None:
    server.stop()
"""


def setup(needed: list[str]) -> list:
    return [new_markdown_cell(SETUP_MD), new_code_cell(SETUP_CODE.replace("__NEEDED__", repr(needed)))]


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    for i, cell in enumerate(nb.cells):  # stable ids, so a rebuild changes only what changed
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"
    nbformat.validate(nb)
    path = HERE / f"{name}.ipynb"
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    print("wrote", path.relative_to(HERE.parent))


# __NOTEBOOKS__
