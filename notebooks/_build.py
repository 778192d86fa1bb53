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
NB01 = "01_quickstart"


def nb01() -> list:
    return [
        md("""
# Quickstart: the WeChat plugin's model cache, in Python

A WeChat mini-program that runs TensorFlow.js downloads its model (a `model.json` plus
binary weight shards) every time it starts, unless it keeps a copy. The TensorFlow.js
WeChat plugin lets it keep that copy in the mini-program's **local storage**, which WeChat
limits to **10 MB per user per mini-program** and **1 MB per key**. The plugin's documented
pattern has three steps:

```js
const handler = plugin.localStorageIO('mobilenet');          // 1. a storage
try {
  model = await tf.loadLayersModel(handler);                  // 2. load from the cache...
} catch (e) {
  model = await tf.loadLayersModel(MODEL_URL);                //    ...else from the network
  await model.save(handler);                                  // 3. and save it for next time
}
```

`tfcache_nb` does the same in Python, with a storage that behaves like WeChat's (same keys,
same base64 chunks, same size accounting, same 10 MB cap), so you can see what a
mini-program would hold and how long each load takes. It also does a little better than the
plugin: it checks the cached weights' SHA-256 on every load, remembers where the model came
from, and tells you in a report where the time went.
"""),
        *setup(["mobilenet_v1_0.25_224"]),
        md("""
## Step 1: a storage

`tc.WxStorage` is one WeChat user's storage inside one mini-program: an `(app_id, user_id)`
namespace in a SQLite file (by default under your cache folder, or under `$TFCACHE_NB_HOME`).
It has the `wx.setStorageSync` / `getStorageSync` semantics and the same limits. We clear
it first so that this tutorial always starts with an empty cache.
"""),
        code("""
store = tc.WxStorage(app_id="wx_quickstart", user_id="newcomer")
store.clear()
store.info()
"""),
        md("""
## Step 2: a cache-aware load

`tc.load_artifacts` does the plugin's try/catch for you: cache first, then the network,
then it saves what it downloaded. The storage is empty, so this first load is **cold**: the
model comes over HTTP (55 weight shards fetched in parallel) and is then written to the
storage under the key we chose, as the plugin's `localStorageIO('mobilenet')` would.
The report shows where the time went.
"""),
        code("""
MODEL_URL = url_of("mobilenet_v1_0.25_224")
artifacts, cold = tc.load_artifacts(MODEL_URL, cache=store, cache_key="mobilenet")
cold
"""),
        md("""
## Step 3: the second load comes from the cache

Same call, same arguments. This time the model is in the storage, so nothing goes over the
network: the weights are read back from the base64 chunks, their SHA-256 is checked against
the one saved with them, and the artifacts are rebuilt. This **warm** load is what every
later start of the mini-program pays.
"""),
        code("""
artifacts_again, warm = tc.load_artifacts(MODEL_URL, cache=store, cache_key="mobilenet")
warm
"""),
        code("""
import numpy as np

same = all(np.array_equal(a, b) for a, b in zip(artifacts.decode_weights().values(),
                                                 artifacts_again.decode_weights().values()))
print(f"cold load: {cold.source:8s} {cold.total_s * 1000:8.1f} ms, "
      f"{cold.bytes_network / 1e6:.2f} MB over the network")
print(f"warm load: {warm.source:8s} {warm.total_s * 1000:8.1f} ms, "
      f"{warm.bytes_network / 1e6:.2f} MB over the network")
print(f"speed-up: {cold.total_s / warm.total_s:.1f}x; identical weights: {same}")
"""),
        md("""
Here the "network" is a server on this very machine, so the cold load is as fast as a cold
load can ever be. On a phone, the network phase alone takes seconds (see
`03_latency_experiments`), while the warm load stays the same. The chart puts both loads
side by side, split by phase:
"""),
        code("""
tc.plot_load_times([cold, warm])
"""),
        md("""
## The report

Every load returns a `LoadReport`. Its fields are plain Python values, handy in scripts:
`source` (`"network"` or `"cache"`), `total_s`, `phases` (seconds per phase),
`bytes_network`, `bytes_storage`, `saved` and `save_error` (why a model was not cached, for
example because it does not fit in 10 MB).
"""),
        code("""
print(warm)
print()
print("phases of the cold load:", {k: round(v, 4) for k, v in cold.phases.items()})
print("saved:", cold.saved, "| save error:", cold.save_error)
"""),
        md("""
## What is in the storage

`store.info()` is `wx.getStorageInfoSync()`: the keys and the sizes. The keys follow the
plugin's scheme (`tensorflowjs_models/<key>/info`, `/model_without_weight`,
`/weight_data_size` and the base64 chunks `/weight_data:<i>`), so this is what a
mini-program would really hold. `tc.list_models` lists the cached models, and
`tc.plot_storage` shows how full the 10 MB are, and with what.
"""),
        code("""
info = store.info()
print(f"{len(info.keys)} keys, {info.current_size_kb} KB of {info.limit_size_kb} KB used")
for key in info.keys[:6]:
    print("  ", key)
print("   ...")
tc.list_models(store)
"""),
        code("""
tc.plot_storage(store)
"""),
        md("""
## A runnable model, in one line

`tc.MobileNet.load` goes through the same cache (this load is warm) and builds a numpy
model: no TensorFlow needed. Here it classifies matplotlib's photograph of Grace Hopper.
"""),
        code("""
from matplotlib import cbook

net = tc.MobileNet.load(MODEL_URL, cache=store, cache_key="mobilenet")
print("loaded from", net.model.report.source)
if MODE == "synthetic":
    print("(synthetic model: random weights, so these classes mean nothing)")
for p in net.classify(cbook.get_sample_data("grace_hopper.jpg"), topk=5):
    print(f"{p.probability:6.1%}  {p.class_name}")
"""),
        md("""
## Next

- `02_storage_and_the_10mb_cap`: what is stored and how big, users and apps kept apart, a
  model that does not fit, and making it fit by quantizing (and what that costs).
- `03_latency_experiments`: cold against warm on simulated 3G, 4G and Wi-Fi networks.
- `04_mobilenet_predictions`: classify your own pictures.
- `05_dashboard`: all of it with buttons.

The cell below stops the local model server.
"""),
        code(CLEANUP_CODE),
    ]


NOTEBOOKS = {NB01: nb01}

if __name__ == "__main__":
    for nb_name, make in NOTEBOOKS.items():
        write(nb_name, make())
