# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Quickstart: the WeChat plugin's model cache, in Python
#
# A WeChat mini-program that runs TensorFlow.js downloads its model (a `model.json` plus
# binary weight shards) every time it starts, unless it keeps a copy. The TensorFlow.js
# WeChat plugin lets it keep that copy in the mini-program's **local storage**, which WeChat
# limits to **10 MiB per user per mini-program** and **1 MiB per key**. The plugin's documented
# pattern has three steps:
#
# ```js
# const handler = plugin.localStorageIO('mobilenet');          // 1. a storage
# try {
#   model = await tf.loadLayersModel(handler);                  // 2. load from the cache...
# } catch (e) {
#   model = await tf.loadLayersModel(MODEL_URL);                //    ...else from the network
#   await model.save(handler);                                  // 3. and save it for next time
# }
# ```
#
# `tfcache_nb` does the same in Python, with a storage that behaves like WeChat's (same keys,
# same base64 chunks, same size accounting, same 10 MiB cap), so you can see what a
# mini-program would hold and how long each load takes. It also does a little better than the
# plugin: it checks the cached weights' SHA-256 on every load, remembers where the model came
# from, and tells you in a report where the time went.

# %% [markdown]
# ### Where the models come from
#
# `tc.find_models` follows the toolkit's one rule for finding a model (the README states it):
# a model folder in `$TFCACHE_NB_MODEL_DIR`, else the `shared/models` folder beside the
# repository, else the real `mobilenet_v1_0.25_224` that ships inside tfcache_nb, else Google's
# storage when the internet answers (on Binder, for example), else a **synthetic** MobileNet:
# the real architecture with random weights, whose sizes and load times are real but whose
# predictions mean nothing. Local models are served over real HTTP on 127.0.0.1 by
# `tc.ModelServer`, just as a web server would serve them. The output says what this
# notebook got.

# %%
# %matplotlib inline
import tfcache_nb as tc

models = tc.find_models(['mobilenet_v1_0.25_224'])

# %% [markdown]
# ## Step 1: a storage
#
# `tc.WxStorage` is one WeChat user's storage inside one mini-program: an `(app_id, user_id)`
# namespace in a SQLite file (by default under your cache folder, or under `$TFCACHE_NB_HOME`).
# It has the `wx.setStorageSync` / `getStorageSync` semantics and the same limits. We clear
# it first so that this tutorial always starts with an empty cache.

# %%
store = tc.WxStorage(app_id="wx_quickstart", user_id="newcomer")
store.clear()
store.info()

# %% [markdown]
# ## Step 2: a cache-aware load
#
# `tc.load_artifacts` does the plugin's try/catch for you: cache first, then the network,
# then it saves what it downloaded. The storage is empty, so this first load is **cold**: the
# model comes over HTTP (55 weight shards fetched in parallel) and is then written to the
# storage under the key we chose, as the plugin's `localStorageIO('mobilenet')` would.
# The report shows where the time went.

# %%
MODEL_URL = models.url("mobilenet_v1_0.25_224")
artifacts, cold = tc.load_artifacts(MODEL_URL, cache=store, cache_key="mobilenet")
cold

# %% [markdown]
# ## Step 3: the second load comes from the cache
#
# Same call, same arguments. This time the model is in the storage, so nothing goes over the
# network: the weights are read back from the base64 chunks, their SHA-256 is checked against
# the one saved with them, and the artifacts are rebuilt. This **warm** load is what every
# later start of the mini-program pays.

# %%
artifacts_again, warm = tc.load_artifacts(MODEL_URL, cache=store, cache_key="mobilenet")
warm

# %%
import numpy as np

same = all(np.array_equal(a, b) for a, b in zip(artifacts.decode_weights().values(),
                                                 artifacts_again.decode_weights().values()))
print(f"cold load: {cold.source:8s} {cold.total_s * 1000:8.1f} ms, "
      f"{tc.human_bytes(cold.bytes_network)} over the network")
if warm.source == "cache":  # "warm" only for a load that really came from the cache
    print(f"warm load: {warm.source:8s} {warm.total_s * 1000:8.1f} ms, "
          f"{tc.human_bytes(warm.bytes_network)} over the network")
    print(f"speed-up: {cold.total_s / warm.total_s:.1f}x; identical weights: {same}")
else:
    print(f"second load: from the {warm.source}, not warm: {cold.save_error or warm.cache_miss_reason}")

# %% [markdown]
# Here the "network" is a server on this very machine, so the cold load is as fast as a cold
# load can ever be. On a phone, the network phase alone takes seconds (see
# `03_latency_experiments`), while the warm load stays the same. The chart puts both loads
# side by side, split by phase:

# %%
tc.plot_load_times([cold, warm])

# %% [markdown]
# ## The report
#
# Every load returns a `LoadReport`. Its fields are plain Python values, handy in scripts:
# `source` (`"network"` or `"cache"`), `total_s`, `phases` (seconds per phase),
# `bytes_network`, `bytes_storage`, `saved` and `save_error` (why a model was not cached, for
# example because it does not fit in 10 MiB).

# %%
print(warm)
print()
print("phases of the cold load:", {k: round(v, 4) for k, v in cold.phases.items()})
print("saved:", cold.saved, "| save error:", cold.save_error)

# %% [markdown]
# ## What is in the storage
#
# `store.info()` is `wx.getStorageInfoSync()`: the keys and the sizes. The keys follow the
# plugin's scheme (`tensorflowjs_models/<key>/info`, `/model_without_weight`,
# `/weight_data_size` and the base64 chunks `/weight_data:<i>`), so this is what a
# mini-program would really hold. `tc.list_models` lists the cached models, and
# `tc.plot_storage` shows how full the 10 MiB are, and with what.

# %%
info = store.info()
print(f"{len(info.keys)} keys, {tc.human_bytes(info.current_size)} of {tc.human_bytes(info.limit_size)} used")
for key in info.keys[:6]:
    print("  ", key)
print("   ...")
tc.list_models(store)

# %%
tc.plot_storage(store)

# %% [markdown]
# ## A runnable model, in one line
#
# `tc.MobileNet.load` goes through the same cache (this load is warm) and builds a numpy
# model: no TensorFlow needed. Here it classifies matplotlib's photograph of Grace Hopper.

# %%
from matplotlib import cbook

net = tc.MobileNet.load(MODEL_URL, cache=store, cache_key="mobilenet")
print("loaded from", net.model.report.source)
if models.synthetic("mobilenet_v1_0.25_224"):
    print("(synthetic model: random weights, so these classes mean nothing)")
for p in net.classify(cbook.get_sample_data("grace_hopper.jpg"), topk=5):
    print(f"{p.probability:6.1%}  {p.class_name}")

# %% [markdown]
# ## Next
#
# - `02_storage_and_the_10mb_cap`: what is stored and how big, users and apps kept apart, a
#   model that does not fit, and making it fit by quantizing (and what that costs).
# - `03_latency_experiments`: cold against warm on simulated 3G, 4G and Wi-Fi networks.
# - `04_mobilenet_predictions`: classify your own pictures.
# - `05_dashboard`: all of it with buttons.
#
# The cell below stops the local model servers.

# %%
models.close()  # stops the local model servers
