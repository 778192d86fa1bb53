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



NB02 = "02_storage_and_the_10mb_cap"


def nb02() -> list:
    return [
        md("""
# What is stored, how big, and the 10 MB cap

WeChat gives each user of each mini-program **10 MB** of local storage, at most **1 MB per
key**. The TensorFlow.js plugin stores a model there as JSON text: the topology, and the
binary weights **base64-encoded** in chunks of 800 x 1024 characters so that no value passes
1 MB. Base64 turns every 3 bytes into 4 characters, so the weights take a third more room
than their binary size. That is why a model of 8.5 MB already fails with
`setStorageSync:fail exceed storage max size 10Mb`.

This notebook looks inside the storage, shows that users and mini-programs are kept apart,
makes a model that does not fit, then makes it fit by quantizing its weights, and measures
what that costs in accuracy on real images.
"""),
        *setup(["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224"]),
        md("""
## What is stored

One SQLite file holds the storages of every user and mini-program on this "device". Alice,
in the mini-program `wx_shop`, caches the small MobileNet (alpha 0.25, 1.9 MB of float32
weights) under the key `mobilenet_025`.
"""),
        code("""
DB = Path(tempfile.mkdtemp(prefix="tfcache_nb_02_")) / "device_storage.db"
alice = tc.WxStorage(DB, app_id="wx_shop", user_id="alice")
_, report_025 = tc.load_artifacts(url_of("mobilenet_v1_0.25_224"), cache=alice, cache_key="mobilenet_025")
print(report_025)
"""),
        md("""
WeChat counts an entry as the UTF-8 length of its key plus that of its value as JSON text.
We count it the same way here, by hand, and check that the total is what `info()` reports.
The chunks `weight_data:<i>` hold almost everything; `info` and `model_without_weight`
(model.json without its weights) are small.
"""),
        code("""
import json


def entry_size(store, key):
    \"\"\"WeChat's size of one entry: UTF-8 bytes of the key plus the value's JSON text.\"\"\"
    text = json.dumps(store.get(key), ensure_ascii=False, separators=(",", ":"))
    return len(key.encode("utf-8")) + len(text.encode("utf-8"))


sizes = {key: entry_size(alice, key) for key in alice.keys()}
chunks = [k for k in sizes if ":" in k.rsplit("/", 1)[-1]]
for key, size in sizes.items():
    if key not in chunks:
        print(f"{size:>12,} B  {key}")
print(f"{sum(sizes[k] for k in chunks):>12,} B  {len(chunks)} chunks tensorflowjs_models/mobilenet_025/weight_data:<i>"
      f" (largest {max(len(alice.get(k)) for k in chunks):,} characters)")
print(f"{sum(sizes.values()):>12,} B  in all; info() says {alice.info().current_size:,} B")
print()
print("the info entry:", alice.get("tensorflowjs_models/mobilenet_025/info"))
"""),
        md("""
### The base64 overhead

The binary weights are `weight_data_bytes` long; their base64 text is a third longer, plus
a few bytes of JSON quotes and keys per chunk.
"""),
        code("""
raw = tc.list_models(alice)["mobilenet_025"].weight_data_bytes
b64 = sum(len(alice.get(k)) for k in chunks)
print(f"binary weights: {raw / 1e6:6.2f} MB")
print(f"as base64:      {b64 / 1e6:6.2f} MB  ({b64 / raw:.3f} x, the 4/3 of base64)")
print(f"alice's storage: {alice.info().current_size_kb} KB of {alice.info().limit_size_kb} KB")
"""),
        md("""
## Two users, two mini-programs: kept apart

On a phone, one WeChat user cannot read another's storage, and one mini-program cannot read
another's. Here each `(app_id, user_id)` pair is its own namespace with its own 10 MB, even
inside the same file. Bob uses the same mini-program as Alice; Alice also uses a second
mini-program, `wx_camera`.
"""),
        code("""
bob = tc.WxStorage(DB, app_id="wx_shop", user_id="bob")
alice_camera = tc.WxStorage(DB, app_id="wx_camera", user_id="alice")
bob.set("greeting", "hello from bob")
alice_camera.set("last_photo", "IMG_0001.jpg")

key = "tensorflowjs_models/mobilenet_025/info"
print(f"alice in wx_shop sees the model:   {key in alice}")
print(f"bob in wx_shop sees it:            {key in bob}")
print(f"alice in wx_camera sees it:        {key in alice_camera}")
print(f"alice sees bob's greeting:         {'greeting' in alice}")
print(f"namespaces in the file:            {alice.namespaces()}")
"""),
        md("""
## A model that does not fit

Bob now wants the larger MobileNet, alpha 0.75: **10.4 MB** of float32 weights, about
**13.9 MB** as base64, far over the cap. The plugin would write chunks until WeChat refuses
one, then delete them again and fail the save. The toolkit checks first: the load itself
succeeds (Bob gets his model), the report says why it was not cached, and Bob's storage is
left exactly as it was.
"""),
        code("""
before = {k: bob.get(k) for k in bob.keys()}
artifacts_075, report_075 = tc.load_artifacts(url_of("mobilenet_v1_0.75_224"), cache=bob, cache_key="mobilenet_075")
print(f"loaded from {report_075.source}: {len(artifacts_075.weight_data) / 1e6:.2f} MB of weights")
print(f"saved: {report_075.saved}")
print(f"why not: {report_075.save_error}")
print(f"bob's storage unchanged: {before == {k: bob.get(k) for k in bob.keys()}}")
"""),
        md("""
The chart tells the story at a glance: one bar per namespace against the 10 MB line, split by
model and by kind of entry, with the base64 overhead hatched; the model that did not fit is
drawn as a ghost past the cap with a warning.
"""),
        code("""
tc.plot_storage([alice, bob, alice_camera], pending={("wx_shop", "bob"): [report_075]})
"""),
        md("""
## Making it fit: quantized weights

TensorFlow.js can load weights stored in smaller forms and turn them back into float32:

- `uint8`: one byte per weight, value = q x scale + min, with one scale and min per tensor
  (as the TensorFlow.js converter writes them): a quarter of the size;
- `uint16`: two bytes per weight, the same rule with 256 times finer steps: half the size;
- `float16`: half-precision floats: half the size;
- `auto`: the most accurate of these that fits the space that is free.

`quantize=` stores the quantized copy in the cache, so the model fits. Each form goes into
its own namespace here, so that we can compare them side by side.
"""),
        code("""
FORMS = ["uint8", "uint16", "float16", "auto"]
quantized_stores, quantized_reports = {}, {}
print(f"{'asked':8s} {'stored as':10s} {'saved':6s} {'in storage':>11s}  {'of the cap':>10s}")
for form in FORMS:
    store = tc.WxStorage(DB, app_id="wx_quantized", user_id=form)
    _, rep = tc.load_artifacts(url_of("mobilenet_v1_0.75_224"), cache=store,
                               cache_key="mobilenet_075", quantize=form)
    quantized_stores[form], quantized_reports[form] = store, rep
    used = store.info().current_size
    print(f"{form:8s} {str(rep.quantization):10s} {str(rep.saved):6s} {used / 1e6:8.2f} MB  "
          f"{used / store.info().limit_size:10.0%}")
"""),
        code("""
tc.plot_storage(list(quantized_stores.values()), title="mobilenet_v1_0.75_224, quantized to fit in 10 MB")
"""),
        md("""
## What quantizing costs on real images

A smaller copy is only worth having if the model still sees the same things. We load each
quantized copy back **from the cache** (exactly what a user's next start would get), build
the numpy MobileNet from it, and compare its classes with the float32 model's on real
images: matplotlib's sample images (each also cropped and mirrored, to have more
views) and the 224 x 224 Grace Hopper pixels that TensorFlow.js's reference
outputs were computed on.

- **top-1 agreement**: the share of images whose most likely class is the float32 one;
- **top-5 overlap**: how many of the float32 top-5 classes are still in the top 5;
- **max weight error**: the largest difference from the float32 weights, in any tensor.
"""),
        code("""
import numpy as np
from matplotlib import cbook
from PIL import Image, ImageOps

photos = {name: Image.open(cbook.get_sample_data(name)).convert("RGB")
          for name in ["grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"]}


def views(img):
    \"\"\"The whole image, its top-left 80 % and its mirror image, at the model's 224 x 224.\"\"\"
    w, h = img.size
    crop = img.crop((0, 0, int(w * 0.8), int(h * 0.8)))
    return [np.asarray(v.resize((224, 224), Image.BILINEAR)) for v in (img, crop, ImageOps.mirror(img))]


images = [v for img in photos.values() for v in views(img)]
refs = MODELS.parent / "refs" / "grace_hopper_224_uint8.npy" if MODE != "internet" else None
if refs is not None and refs.is_file():
    images.append(np.load(refs))
    print("Grace Hopper pixels: TensorFlow.js's reference input from", refs.parent)
else:
    images.append(np.asarray(photos["grace_hopper.jpg"].resize((224, 224), Image.BILINEAR)))
    print("Grace Hopper pixels: resized here with Pillow (the reference file is not on this machine)")
print(f"{len(images)} images")
"""),
        code("""
reference = tc.MobileNet.load(url_of("mobilenet_v1_0.75_224"))  # float32, straight from the source
ref_top = reference.classify_batch(images, topk=5)
ref_weights = reference.model.artifacts.decode_weights()

results = {}
print(f"{'form':14s} {'from':6s} {'top-1 agreement':>16s} {'top-5 overlap':>14s} {'max weight error':>17s}")
for form, store in quantized_stores.items():
    stored_as = quantized_reports[form].quantization
    if form == "auto" and stored_as in results:  # the same weights as that form: no need to run it again
        print(f"{'auto->' + stored_as:14s} the same copy as {stored_as}")
        continue
    net = tc.MobileNet.load(url_of("mobilenet_v1_0.75_224"), cache=store, cache_key="mobilenet_075",
                            quantize=form)
    top = net.classify_batch(images, topk=5)
    weights = net.model.artifacts.decode_weights()
    top1 = np.mean([a[0].index == b[0].index for a, b in zip(ref_top, top)])
    top5 = np.mean([len({p.index for p in a} & {p.index for p in b}) / 5 for a, b in zip(ref_top, top)])
    err = max(float(np.max(np.abs(weights[n] - w))) for n, w in ref_weights.items())
    results[form] = top
    print(f"{form:14s} {net.model.report.source:6s} {top1:10.0%} {top5:14.0%} {err:17.2e}")
if MODE == "synthetic":
    print("(synthetic model: the classes mean nothing, but the agreement is still measured)")
"""),
        md("""
The last image is Grace Hopper in her uniform. Below, the float32 model's five most likely
classes for her and the probability each quantized copy gives them. With uint8, one scale
per tensor is too coarse for MobileNet's depthwise kernels: measured with TensorFlow.js
itself, it changes the top-1 class of this picture for both MobileNets, while uint16 and
float16 keep it.
"""),
        code("""
import matplotlib.pyplot as plt

top5 = ref_top[-1]
probs = {"float32": [p.probability for p in top5]}
for label, top in results.items():
    got = {p.index: p.probability for p in top[-1]}
    probs[label] = [got.get(p.index, 0.0) for p in top5]

fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
width = 0.8 / len(probs)
for i, (label, values) in enumerate(probs.items()):
    ax.bar(np.arange(5) + i * width - 0.4 + width / 2, values, width, label=label)
ax.set_xticks(range(5), [p.class_name.split(",")[0] for p in top5])
ax.set_ylabel("probability")
ax.set_title("Grace Hopper: the float32 top 5, and what each stored form makes of it")
ax.legend()
plt.show()
"""),
        md("""
**In short:** for MobileNet v1 0.75, `uint16` and `float16` halve the storage and keep what
the model sees; `uint8` quarters it but moves the probabilities enough to change classes on
some images. `quantize="auto"` picks the most accurate form that fits.
"""),
        code(CLEANUP_CODE),
    ]



NB03 = "03_latency_experiments"


def nb03() -> list:
    return [
        md("""
# Latency experiments: cold network against warm cache

The point of caching a model is time. A mini-program that loads MobileNet from the network
waits for every byte, on every launch; one that loads it from storage does not. How much
that saves depends on the network (round trips and bandwidth) and on the model's size.

To measure it without a phone, `tc.ModelServer` serves a model folder on this machine and
**paces its responses like a real network**: each request waits one round trip before its
first byte, the bodies share the download bandwidth, and only a few requests are served at
once, as browsers do. `tc.expected_load_time` computes what such a load *should* take, and
`tc.run_experiment` measures cold loads (cache emptied first) against warm loads (from the
cache) over several trials.
"""),
        *setup(["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224"]),
        md("""
The experiments need model **folders** (the simulated server serves them). With local or
synthetic models we already have them; on the internet we download each model once into a
temporary folder, in the layout the TensorFlow.js converter writes.
"""),
        code("""
def folder_of(name):
    if MODE != "internet":
        return MODELS / name
    folder = Path(tempfile.gettempdir()) / "tfcache_nb_models" / name
    if not (folder / "model.json").is_file():
        artifacts, _ = tc.load_artifacts(url_of(name))
        tc.io_for(folder).save(artifacts)
    return folder


SMALL, LARGE = folder_of("mobilenet_v1_0.25_224"), folder_of("mobilenet_v1_0.75_224")
for folder in (SMALL, LARGE):
    shards = [p for p in folder.iterdir() if p.name != "model.json"]
    print(f"{folder.name}: model.json + {len(shards)} shards, {sum(p.stat().st_size for p in shards) / 1e6:.2f} MB")
"""),
        md("""
## The networks

`tc.PROFILES` holds presets named after what users know, each with its figures and their
public source: Chrome DevTools' and Lighthouse's throttling presets, WebPageTest's
connectivity profiles, and `distant`, a user in China reaching a model hosted abroad.
"""),
        code("""
for name, p in tc.PROFILES.items():
    print(f"{name:18s} {p.rtt_ms:7.1f} ms round trip  {p.down_kbps / 1000:6.2f} Mbit/s"
          f"  jitter {p.jitter_ms:4.0f} ms  {p.max_connections} connections")
"""),
        md("""
## What the latency model expects

A TensorFlow.js load fetches model.json (one request), then every weight shard in
parallel, a few at a time. With `n` equal shards, `c` connections, round trip `rtt` and
bandwidth `B`, a cold load takes about

    rtt + json / B  +  ceil(n / c) x rtt  +  shards / B

The tfjs-models MobileNet v1 files come in 55 small shards, so round trips matter as well as
bytes: six at a time, that is ten waves of requests, each waiting a round trip (2 s on slow
3G). A warm load does none of it.
"""),
        code("""
print(f"{'profile':18s} {'0.25 (1.9 MB)':>14s} {'0.75 (10.4 MB)':>15s}   where the time goes (0.25)")
for name in tc.PROFILES:
    small, large = tc.expected_load_time(SMALL, name), tc.expected_load_time(LARGE, name)
    print(f"{name:18s} {small.total_s:12.1f} s {large.total_s:13.1f} s   "
          f"{small.round_trip_s:5.1f} s round trips + {small.transfer_s:5.1f} s transfer")
"""),
        md("""
## Measuring it: cold against warm

Real presets take seconds to minutes per load, too slow for a tutorial that runs in a test
suite. So the run below uses three **fast** custom profiles (`tc.Profile(rtt_ms,
down_kbps)`), a few trials each. Everything else is exactly what a long run does: the cache
entry is removed, the model comes over the paced server and is saved into a `WxStorage`
SQLite file, then it is loaded again from the cache. Jitter and everything random are
seeded, so a rerun with the same `seed` waits the same round trips.
"""),
        code("""
FAST = [
    tc.Profile(rtt_ms=2, down_kbps=500_000, name="lan"),
    tc.Profile(rtt_ms=10, down_kbps=100_000, name="fast wifi"),
    tc.Profile(rtt_ms=25, down_kbps=40_000, jitter_ms=5, name="fast 4g"),
]
results = tc.run_experiment(SMALL, FAST, storages="wx", trials=3, seed=0)
results
"""),
        md("""
The chart: medians with 5th-95th percentile bars on a log time axis, the latency model's
expected cold time marked. Cold loads grow with the round trips; warm loads do not move,
because they never touch the network.
"""),
        code("""
results.plot()
"""),
        md("""
`measured_over_expected` compares the measured network phase of the cold loads with the
latency model; the rest of a cold load is saving to storage. The slower the network, the
closer it comes to 1: on the fastest profile, the fixed cost of each HTTP request on this
machine (which the model does not count) weighs most. Every record is a plain dict,
so pandas users can write `pd.DataFrame(results.records)`, and `to_csv` writes one row per
load.
"""),
        code("""
for row in results.summary():
    print(f"{row['profile']:10s} cold {row['cold_median_s'] * 1000:7.1f} ms, warm {row['warm_median_s'] * 1000:6.1f} ms, "
          f"{row['speedup']:5.1f}x faster warm; network {row['cold_network_median_s'] * 1000:6.1f} ms "
          f"vs {row['expected_s'] * 1000:6.1f} ms expected ({row['measured_over_expected']:.2f}x)")
csv_path = results.to_csv(Path(tempfile.mkdtemp()) / "cold_vs_warm.csv")
print(f"\\n{len(results.records)} loads written to {csv_path}")
print({k: results.records[0][k] for k in ("model", "profile", "kind", "total_s", "source", "bytes_network")})
"""),
        md("""
## Model size: 0.25 against 0.75

The 0.75 MobileNet is 5.5 times larger. It does not fit in WeChat's 10 MB local storage as
float32 (see notebook 02), so here both models are cached with the plugin's **file
storage** (`storages="file"`: the weights as one raw binary file, without base64), which is
the plugin's answer for bigger models.
"""),
        code("""
sizes = tc.run_experiment([SMALL, LARGE], FAST[1], storages="file", trials=2, seed=0)
print(sizes)
tc.plot_load_times(sizes)
"""),
        md("""
## Running the real presets

For numbers to put in a report, run the real presets with more trials. It takes a while
(slow 3G alone is minutes per trial for the larger model), so it is off here: set
`RUN_REAL_PRESETS = True` and run the cell. `progress=True` prints a progress line. The same
run from a terminal: `tfcache-nb bench --model-dir DIR --profile slow-3g --profile 4g
--trials 10 --csv results.csv --plot results.png`.
"""),
        code("""
RUN_REAL_PRESETS = False
presets = ["slow-3g", "fast-3g", "4g", "wifi", "distant"]
estimate = sum(tc.expected_load_time(SMALL, p).total_s for p in presets) * 10
print(f"10 trials of the 0.25 model on {', '.join(presets)}: about {estimate / 60:.0f} minutes of cold loads")
if RUN_REAL_PRESETS:
    real = tc.run_experiment(SMALL, presets, trials=10, seed=0, progress=True)
    display(real)
    display(real.plot())
"""),
        code(CLEANUP_CODE),
    ]



NB04 = "04_mobilenet_predictions"
TFHUB_GRAPH = "https://tfhub.dev/google/imagenet/mobilenet_v1_025_224/classification/1"


def nb04() -> list:
    return [
        md("""
# What MobileNet sees: predictions in pure numpy

The model the cache brings back is only useful if it runs. `tfcache_nb` runs TensorFlow.js
models with **numpy alone**: no TensorFlow, no PyTorch. Batch normalisation is folded into
the convolutions when the model is built, pointwise convolutions are matrix products, and
the numbers agree with what TensorFlow.js computes in a browser or a mini-program.

This notebook classifies pictures with MobileNet v1, shows the prediction chart, runs a
batch, and compares the two kinds of TensorFlow.js model: the **layers** model
(a Keras topology, inputs scaled to [-1, 1], 1000 classes) and the **graph** model from TF
Hub that `@tensorflow-models/mobilenet` loads (a GraphDef, inputs in [0, 1], 1001 outputs
whose first is "background").
"""),
        *setup(["mobilenet_v1_0.25_224", "mobilenet_v1_025_224_graph"]),
        md("""
## Load and classify

`tc.MobileNet.load` goes through the cache-aware loader (here into a throw-away in-memory
storage) and builds the numpy model. `classify` takes a path, bytes, a Pillow image or a
uint8 array, resizes it to 224 x 224 and scales it as the model kind needs.
"""),
        code("""
from matplotlib import cbook

store = tc.WxStorage(":memory:", app_id="wx_predict", user_id="demo")
net = tc.MobileNet.load(url_of("mobilenet_v1_0.25_224"), cache=store)
print(net, "|", net.model, "| loaded from", net.model.report.source)

GRACE = cbook.get_sample_data("grace_hopper.jpg")
predictions = net.classify(GRACE, topk=5)
for p in predictions:
    print(f"{p.probability:6.1%}  #{p.index:<4d} {p.class_name}")
"""),
        md("""
The prediction chart puts the picture beside its classes. (With the synthetic model the
bars are random: the chart says so.)
"""),
        code("""
NOTE = "synthetic model with random weights: these predictions mean nothing" if MODE == "synthetic" else None
tc.plot_predictions(GRACE, predictions, note=NOTE, title="MobileNet v1 0.25 (layers model)")
"""),
        md("""
### Does it match TensorFlow.js?

When the reference outputs are on this machine, we feed the very pixels TensorFlow.js was
given and compare the probabilities.
"""),
        code("""
import json

import numpy as np

refs = MODELS.parent / "refs" if MODE == "local" else None
if refs is not None and (refs / "grace_hopper_tfjs_outputs.json").is_file():
    pixels = np.load(refs / "grace_hopper_224_uint8.npy")
    tfjs = json.loads((refs / "grace_hopper_tfjs_outputs.json").read_text())
    ref = next(v for k, v in tfjs.items() if "0.25" in k and isinstance(v, dict) and "probs" in v)
    ours = net.predict_probs(pixels)[0]
    print(f"largest difference from TensorFlow.js's probabilities: {np.max(np.abs(ours - np.array(ref['probs']))):.1e}")
    print("TensorFlow.js top 5:", [t["index"] if isinstance(t, dict) else t[0] for t in ref["top5"]])
    print("numpy top 5:        ", [int(i) for i in np.argsort(-ours)[:5]])
else:
    print("TensorFlow.js's reference outputs are not on this machine; skipped.")
"""),
        md("""
## Any kind of image

Grayscale, RGBA, palette and CMYK images are converted to RGB, and a photo's EXIF
orientation is applied, as a browser would show it. Here: matplotlib's sample images, the
photo as a Pillow image turned upside down, a grayscale copy, and a raw uint8 array.
"""),
        code("""
from PIL import Image, ImageOps

photo = Image.open(GRACE)
samples = {
    "grace_hopper.jpg (path)": GRACE,
    "Minduka_Present_Blue_Pack.png (RGBA)": cbook.get_sample_data("Minduka_Present_Blue_Pack.png"),
    "logo2.png": cbook.get_sample_data("logo2.png"),
    "upside down (PIL image)": photo.rotate(180),
    "grayscale (PIL image)": ImageOps.grayscale(photo),
    "mirrored (numpy array)": np.asarray(ImageOps.mirror(photo)),
}
for name, image in samples.items():
    top = net.classify(image, topk=3)
    print(f"{name:38s} " + ", ".join(f"{p.class_name.split(',')[0]} {p.probability:.0%}" for p in top))
"""),
        md("""
## A batch

`classify_batch` runs all the images through the model at once: one call, one pass per
layer over a batch, the same answers as one at a time.
"""),
        code("""
import time

images = list(samples.values())
start = time.perf_counter()
batch = net.classify_batch(images, topk=1)
batch_s = time.perf_counter() - start
start = time.perf_counter()
single = [net.classify(image, topk=1) for image in images]
single_s = time.perf_counter() - start
print(f"{len(images)} images: batch {batch_s * 1000:.0f} ms, one by one {single_s * 1000:.0f} ms")
print("same answers:", [b[0].index for b in batch] == [s[0].index for s in single])
"""),
        md("""
## Where a prediction's time goes

`model.profile(x)` runs the same prediction several times and times each layer as it runs
in a real prediction (a layer timed alone, over and over, would find its data already in
the cache and look faster than it is). `tc.plot_profile` draws the result. In MobileNet the
pointwise (1x1) convolutions are one matrix product each, done by the BLAS library numpy
uses; the depthwise (3x3, one filter per channel) convolutions have no such library routine,
so they take a share of the time far above their share of the arithmetic.
"""),
        code("""
x = net.preprocess([GRACE])
timings = net.model.profile(x, repeat=5)
slowest = max(timings, key=lambda t: t.seconds)
print(f"{len(timings)} steps, {sum(t.seconds for t in timings) * 1000:.2f} ms in all; "
      f"slowest: {slowest.output} ({slowest.op}, output {list(slowest.shape)}) {slowest.seconds * 1000:.2f} ms")
tc.plot_profile(timings)
"""),
        md("""
## Layers model against graph model

The two MobileNet v1 0.25 files hold nearly the same network in two forms. The **layers**
model (the older tfjs-models file) expects pixels in [-1, 1] and ends in a softmax over
1000 classes. The **graph** model (TF Hub's, converted by the TensorFlow.js converter)
expects pixels in [0, 1], rescales them itself, and returns 1001 logits whose index 0 is
"background"; `MobileNet` drops it and applies the softmax, as `@tensorflow-models/mobilenet`
does. `tc.load_model` gives the raw model, whatever its kind.
"""),
        code(f"""
if MODE == "local":
    GRAPH_URL, graph_options = url_of("mobilenet_v1_025_224_graph"), {{}}
elif MODE == "internet":
    GRAPH_URL, graph_options = "{TFHUB_GRAPH}", {{"tfhub": True}}
else:
    GRAPH_URL = None
    print("No graph model here (the synthetic model is a layers model only): this part is skipped.")

if GRAPH_URL is not None:
    graph_net = tc.MobileNet.load(GRAPH_URL, cache=store, **graph_options)
    for kind, m in (("layers", net.model), ("graph", graph_net.model)):
        x = np.zeros((1, *m.input_shape[1:]), np.float32)
        print(f"{{kind:6s}} model: kind={{m.kind!r}}, input {{m.input_shape}}, raw output {{m.predict(x).shape}}")
    graph_predictions = graph_net.classify(GRACE, topk=5)
    print()
    print(f"{{'layers model':34s}} graph model")
    for a, b in zip(predictions, graph_predictions):
        print(f"{{a.class_name[:26]:26s}} {{a.probability:6.1%}}  {{b.class_name[:26]:26s}} {{b.probability:6.1%}}")
"""),
        code("""
if GRAPH_URL is not None:
    display(tc.plot_predictions(GRACE, graph_predictions, title="MobileNet v1 0.25 (TF Hub graph model)"))
"""),
        md("""
Both see a uniform and a suit; they were trained separately, so their probabilities differ.
Next: `05_dashboard` does all of this with buttons, including your own uploaded pictures.
"""),
        code(CLEANUP_CODE),
    ]


NB05 = "05_dashboard"


def nb05() -> list:
    return [
        md("""
# The dashboard

Everything in the other notebooks, behind buttons. `tc.Dashboard()` shows three tabs:

- **Load & storage**: choose a model source (the real MobileNet files on this machine,
  served on 127.0.0.1; the synthetic model; or Google's URLs when you have the internet),
  the WeChat `app_id` and `user_id`, and a simulated network. **Load** decides cold or warm
  as the loader does: the first load comes over the network, the next from the cache. The
  progress bar moves while shards download, the load report says where the time went, and
  the storage chart, redrawn after every change, shows how full the 10 MB are. Try another
  `user_id`: its storage is empty. Try the 0.75 model: it does not fit.
- **Experiment**: cold against warm over simulated networks, with a plot, a summary table
  and a CSV download.
- **Predict**: upload a picture, or pick one of matplotlib's samples, and see MobileNet's
  top classes.

Errors appear as one red line at the top, never as a traceback that hides the controls.
The widgets need a live kernel: run the cell (or open this notebook with Voilà).
"""),
        code("""
import tfcache_nb as tc

tc.Dashboard()
"""),
    ]


NOTEBOOKS = {NB01: nb01, NB02: nb02, NB03: nb03, NB04: nb04, NB05: nb05}

if __name__ == "__main__":
    for nb_name, make in NOTEBOOKS.items():
        write(nb_name, make())
