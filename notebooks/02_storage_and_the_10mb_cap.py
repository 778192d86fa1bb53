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
# # What is stored, how big, and the 10 MiB cap
#
# WeChat gives each user of each mini-program **10 MiB** of local storage, at most **1 MiB per
# key**. The TensorFlow.js plugin stores a model there as JSON text: the topology, and the
# binary weights **base64-encoded** in chunks of 800 x 1024 characters so that no value passes
# 1 MiB. Base64 turns every 3 bytes into 4 characters, so the weights take a third more room
# than their binary size. That is why a model of 8.5 MiB already fails with
# `setStorageSync:fail exceed storage max size 10Mb`.
#
# This notebook looks inside the storage, shows that users and mini-programs are kept apart,
# makes a model that does not fit, then makes it fit by quantizing its weights, and measures
# what that costs in accuracy on real images.

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

models = tc.find_models(['mobilenet_v1_0.25_224', 'mobilenet_v1_0.75_224'])

# %% [markdown]
# ## What is stored
#
# One SQLite file holds the storages of every user and mini-program on this "device". Alice,
# in the mini-program `wx_shop`, caches the small MobileNet (alpha 0.25, 1.81 MiB of float32
# weights) under the key `mobilenet_025`.

# %%
import tempfile
from pathlib import Path

DB = Path(tempfile.mkdtemp(prefix="tfcache_nb_02_")) / "device_storage.db"
alice = tc.WxStorage(DB, app_id="wx_shop", user_id="alice")
_, report_025 = tc.load_artifacts(models.url("mobilenet_v1_0.25_224"), cache=alice, cache_key="mobilenet_025")
print(report_025)

# %% [markdown]
# WeChat counts an entry as the UTF-8 length of its key plus that of its value as JSON text.
# We count it the same way here, by hand, and check that the total is what `info()` reports.
# The chunks `weight_data:<i>` hold almost everything; `info` and `model_without_weight`
# (model.json without its weights) are small.

# %%
import json


def entry_size(store, key):
    """WeChat's size of one entry: UTF-8 bytes of the key plus the value's JSON text."""
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

# %% [markdown]
# ### The base64 overhead
#
# The binary weights are `weight_data_bytes` long; their base64 text is a third longer, plus
# a few bytes of JSON quotes and keys per chunk.

# %%
raw = tc.list_models(alice)["mobilenet_025"].weight_data_bytes
b64 = sum(len(alice.get(k)) for k in chunks)
print(f"binary weights: {tc.human_bytes(raw):>10s}")
print(f"as base64:      {tc.human_bytes(b64):>10s}  ({b64 / raw:.3f} x, the 4/3 of base64)")
print(f"alice's storage: {tc.human_bytes(alice.info().current_size)} of {tc.human_bytes(alice.info().limit_size)}")

# %% [markdown]
# ## Two users, two mini-programs: kept apart
#
# On a phone, one WeChat user cannot read another's storage, and one mini-program cannot read
# another's. Here each `(app_id, user_id)` pair is its own namespace with its own 10 MiB, even
# inside the same file. Bob uses the same mini-program as Alice; Alice also uses a second
# mini-program, `wx_camera`.

# %%
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

# %% [markdown]
# ## A model that does not fit
#
# Bob now wants the larger MobileNet, alpha 0.75: **9.93 MiB** of float32 weights, about
# **13.29 MiB** as base64, far over the cap. The plugin would write chunks until WeChat refuses
# one, then delete them again and fail the save. The toolkit checks first: the load itself
# succeeds (Bob gets his model), the report says why it was not cached, and Bob's storage is
# left exactly as it was.

# %%
before = {k: bob.get(k) for k in bob.keys()}
artifacts_075, report_075 = tc.load_artifacts(models.url("mobilenet_v1_0.75_224"), cache=bob, cache_key="mobilenet_075")
print(f"loaded from {report_075.source}: {tc.human_bytes(len(artifacts_075.weight_data))} of weights")
print(f"saved: {report_075.saved}")
print(f"why not: {report_075.save_error}")
print(f"bob's storage unchanged: {before == {k: bob.get(k) for k in bob.keys()}}")

# %% [markdown]
# The chart tells the story at a glance: one bar per namespace against the 10 MiB line, split by
# model and by kind of entry, with the base64 overhead hatched; the model that did not fit is
# drawn as a ghost past the cap with a warning.

# %%
tc.plot_storage([alice, bob, alice_camera], pending={("wx_shop", "bob"): [report_075]})

# %% [markdown]
# ## Making it fit: quantized weights
#
# TensorFlow.js can load weights stored in smaller forms and turn them back into float32:
#
# - `uint8`: one byte per weight, value = q x scale + min, with one scale and min per tensor
#   (as the TensorFlow.js converter writes them): a quarter of the size;
# - `uint16`: two bytes per weight, the same rule with 256 times finer steps: half the size;
# - `float16`: half-precision floats: half the size;
# - `auto`: the most accurate of these that fits the space that is free.
#
# `quantize=` stores the quantized copy in the cache, so the model fits. Each form goes into
# its own namespace here, so that we can compare them side by side.

# %%
FORMS = ["uint8", "uint16", "float16", "auto"]
quantized_stores, quantized_reports = {}, {}
print(f"{'asked':8s} {'stored as':10s} {'saved':6s} {'in storage':>11s}  {'of the cap':>10s}")
for form in FORMS:
    store = tc.WxStorage(DB, app_id="wx_quantized", user_id=form)
    _, rep = tc.load_artifacts(models.url("mobilenet_v1_0.75_224"), cache=store,
                               cache_key="mobilenet_075", quantize=form)
    quantized_stores[form], quantized_reports[form] = store, rep
    used = store.info().current_size
    print(f"{form:8s} {str(rep.quantization):10s} {str(rep.saved):6s} {tc.human_bytes(used):>11s}  "
          f"{used / store.info().limit_size:10.0%}")

# %%
tc.plot_storage(list(quantized_stores.values()), title="mobilenet_v1_0.75_224, quantized to fit in 10 MiB")

# %% [markdown]
# ## What quantizing costs on real images
#
# A smaller copy is only worth having if the model still sees the same things. We load each
# quantized copy back **from the cache** (exactly what a user's next start would get), build
# the numpy MobileNet from it, and compare its classes with the float32 model's on real
# images: matplotlib's sample images (each also cropped and mirrored, to have more
# views) and the 224 x 224 Grace Hopper pixels that TensorFlow.js's reference
# outputs were computed on.
#
# - **top-1 agreement**: the share of images whose most likely class is the float32 one;
# - **top-5 overlap**: how many of the float32 top-5 classes are still in the top 5;
# - **max weight error**: the largest difference from the float32 weights, in any tensor.

# %%
import numpy as np
from matplotlib import cbook
from PIL import Image, ImageOps

photos = {name: Image.open(cbook.get_sample_data(name)).convert("RGB")
          for name in ["grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"]}


def views(img):
    """The whole image, its top-left 80 % and its mirror image, at the model's 224 x 224."""
    w, h = img.size
    crop = img.crop((0, 0, int(w * 0.8), int(h * 0.8)))
    return [np.asarray(v.resize((224, 224), Image.BILINEAR)) for v in (img, crop, ImageOps.mirror(img))]


images = [v for img in photos.values() for v in views(img)]
source_075 = models["mobilenet_v1_0.75_224"]  # a real folder of the shared models has refs/ beside it
refs = source_075.folder.parent.parent / "refs" / "grace_hopper_224_uint8.npy" if source_075.kind == "folder" else None
if refs is not None and refs.is_file():
    images.append(np.load(refs))
    print("Grace Hopper pixels: TensorFlow.js's reference input from", refs.parent)
else:
    images.append(np.asarray(photos["grace_hopper.jpg"].resize((224, 224), Image.BILINEAR)))
    print("Grace Hopper pixels: resized here with Pillow (the reference file is not on this machine)")
print(f"{len(images)} images")

# %%
reference = tc.MobileNet.load(models.url("mobilenet_v1_0.75_224"))  # float32, straight from the source
ref_top = reference.classify_batch(images, topk=5)
ref_weights = reference.model.artifacts.decode_weights()

results, agreement = {}, {}
print(f"{'form':14s} {'from':6s} {'top-1 agreement':>16s} {'top-5 overlap':>14s} {'max weight error':>17s}")
for form, store in quantized_stores.items():
    stored_as = quantized_reports[form].quantization
    if form == "auto" and stored_as in results:  # the same weights as that form: no need to run it again
        print(f"{'auto->' + stored_as:14s} the same copy as {stored_as}")
        continue
    net = tc.MobileNet.load(models.url("mobilenet_v1_0.75_224"), cache=store, cache_key="mobilenet_075",
                            quantize=form)
    top = net.classify_batch(images, topk=5)
    weights = net.model.artifacts.decode_weights()
    top1 = np.mean([a[0].index == b[0].index for a, b in zip(ref_top, top)])
    top5 = np.mean([len({p.index for p in a} & {p.index for p in b}) / 5 for a, b in zip(ref_top, top)])
    err = max(float(np.max(np.abs(weights[n] - w))) for n, w in ref_weights.items())
    results[form], agreement[form] = top, top1
    print(f"{form:14s} {net.model.report.source:6s} {top1:10.0%} {top5:14.0%} {err:17.2e}")

# %% [markdown]
# The last image is Grace Hopper in her uniform. Below, the float32 model's five most likely
# classes for her and the probability each quantized copy gives them. With the real weights,
# one uint8 scale per tensor is too coarse for MobileNet's depthwise kernels: measured with
# TensorFlow.js itself, it changes the top-1 class of this picture for both MobileNets, while
# uint16 and float16 keep it. (With the synthetic stand-in the bars mean nothing: the title
# says so.)

# %%
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
synthetic_note = " (SYNTHETIC model, random weights: meaningless)" if models.synthetic("mobilenet_v1_0.75_224") else ""
ax.set_title("Grace Hopper: the float32 top 5, and what each stored form makes of it" + synthetic_note)
ax.legend()
plt.show()

# %% [markdown]
# **In short**, computed from the table above for the model this notebook used (with the real
# weights, `uint16` and `float16` halve the storage and keep what the model sees, while
# `uint8` quarters it but changes classes on some images; `quantize="auto"` picks the most
# accurate form that fits):

# %%
if models.synthetic("mobilenet_v1_0.75_224"):
    print("These accuracy figures are MEANINGLESS: the 0.75 model here is the synthetic stand-in with\n"
          "random weights, so whatever its quantized copies agree on says nothing about what quantizing\n"
          "costs MobileNet. Run this notebook with the real model (online, or with ../shared/models\n"
          "beside the repository) to measure it; the README gives the figures measured that way.")
else:
    for form, share in agreement.items():
        verdict = "keeps every top-1 class" if share == 1 else f"changes the top-1 class of {1 - share:.0%} of the images"
        print(f"{form:8s} stored in {tc.human_bytes(quantized_stores[form].info().current_size):>10s}: {verdict}")
    print(f"auto chose {quantized_reports['auto'].quantization}")

# %%
models.close()  # stops the local model servers
