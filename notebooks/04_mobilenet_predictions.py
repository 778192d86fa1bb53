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
# # What MobileNet sees: predictions in pure numpy
#
# The model the cache brings back is only useful if it runs. `tfcache_nb` runs TensorFlow.js
# models with **numpy alone**: no TensorFlow, no PyTorch. Batch normalisation is folded into
# the convolutions when the model is built, pointwise convolutions are matrix products, and
# the numbers agree with what TensorFlow.js computes in a browser or a mini-program.
#
# This notebook classifies pictures with MobileNet v1, shows the prediction chart, runs a
# batch, and compares the two kinds of TensorFlow.js model: the **layers** model
# (a Keras topology, inputs scaled to [-1, 1], 1000 classes) and the **graph** model from TF
# Hub that `@tensorflow-models/mobilenet` loads (a GraphDef, inputs in [0, 1], 1001 outputs
# whose first is "background").

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

models = tc.find_models(['mobilenet_v1_0.25_224', 'mobilenet_v1_025_224_graph'])

# %% [markdown]
# ## Load and classify
#
# `tc.MobileNet.load` goes through the cache-aware loader (here into a throw-away in-memory
# storage) and builds the numpy model. `classify` takes a path, bytes, a Pillow image or a
# uint8 array, resizes it to 224 x 224 and scales it as the model kind needs.

# %%
from matplotlib import cbook

store = tc.WxStorage(":memory:", app_id="wx_predict", user_id="demo")
net = tc.MobileNet.load(models.url("mobilenet_v1_0.25_224"), cache=store)
print(net, "|", net.model, "| loaded from", net.model.report.source)

GRACE = cbook.get_sample_data("grace_hopper.jpg")
predictions = net.classify(GRACE, topk=5)
for p in predictions:
    print(f"{p.probability:6.1%}  #{p.index:<4d} {p.class_name}")

# %% [markdown]
# The prediction chart puts the picture beside its classes. (With the synthetic model the
# bars are random: the chart says so.)

# %%
NOTE = "synthetic model with random weights: these predictions mean nothing" if models.synthetic("mobilenet_v1_0.25_224") else None
tc.plot_predictions(GRACE, predictions, note=NOTE, title="MobileNet v1 0.25 (layers model)")

# %% [markdown]
# ### Does it match TensorFlow.js?
#
# When the reference outputs are on this machine, we feed the very pixels TensorFlow.js was
# given and compare the probabilities.

# %%
import json

import numpy as np

# the reference outputs sit beside a shared models folder (refs/ next to models/), when there is one
local = [models[name].folder for name in models.sources if models.has(name) and models[name].kind == "folder"]
refs = next((f.parent.parent / "refs" for f in local
             if (f.parent.parent / "refs" / "grace_hopper_tfjs_outputs.json").is_file()), None)
if refs is not None:
    pixels = np.load(refs / "grace_hopper_224_uint8.npy")
    tfjs = json.loads((refs / "grace_hopper_tfjs_outputs.json").read_text())
    ref = next(v for k, v in tfjs.items() if "0.25" in k and isinstance(v, dict) and "probs" in v)
    ours = net.predict_probs(pixels)[0]
    print(f"largest difference from TensorFlow.js's probabilities: {np.max(np.abs(ours - np.array(ref['probs']))):.1e}")
    print("TensorFlow.js top 5:", [t["index"] if isinstance(t, dict) else t[0] for t in ref["top5"]])
    print("numpy top 5:        ", [int(i) for i in np.argsort(-ours)[:5]])
else:
    print("TensorFlow.js's reference outputs are not on this machine; skipped.")

# %% [markdown]
# ## Any kind of image
#
# Grayscale, RGBA, palette and CMYK images are converted to RGB, and a photo's EXIF
# orientation is applied, as a browser would show it. Here: matplotlib's sample images, the
# photo as a Pillow image turned upside down, a grayscale copy, and a raw uint8 array.

# %%
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

# %% [markdown]
# ## A batch
#
# `classify_batch` runs all the images through the model at once: one call, one pass per
# layer over a batch, the same answers as one at a time. Is it faster? The cell below first
# runs both ways once without timing them (a model binds its buffers on the first call for
# each input shape: timing that call would measure the set-up, not the work), then keeps the
# best of five runs of each, and says what it measured.

# %%
import time


def best_time(fn, repeat=5):
    """The fastest of ``repeat`` runs: the least disturbed by whatever else the machine does."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


images = list(samples.values())
batch = net.classify_batch(images, topk=1)  # warm-up, untimed
single = [net.classify(image, topk=1) for image in images]
print("same answers:", [b[0].index for b in batch] == [s[0].index for s in single])

batch_s = best_time(lambda: net.classify_batch(images, topk=1))
single_s = best_time(lambda: [net.classify(image, topk=1) for image in images])
print(f"{len(images)} images, best of 5 after a warm-up: batch {batch_s * 1000:.1f} ms, "
      f"one by one {single_s * 1000:.1f} ms")
ratio = single_s / batch_s
if ratio > 1.15:
    print(f"here the batch was {ratio:.1f} times faster than one call per image")
elif ratio < 1 / 1.15:
    print(f"here one call per image was {1 / ratio:.1f} times faster than the batch")
else:
    print(f"here both took about the same time (within 15%: {ratio:.2f}x): a batch saves calls, not arithmetic")

# %% [markdown]
# ## Where a prediction's time goes
#
# `model.profile(x)` runs the same prediction several times and times each layer as it runs
# in a real prediction (a layer timed alone, over and over, would find its data already in
# the cache and look faster than it is). `tc.plot_profile` draws the result. In MobileNet the
# pointwise (1x1) convolutions are one matrix product each, done by the BLAS library numpy
# uses; the depthwise (3x3, one filter per channel) convolutions have no such library routine,
# so they take a share of the time far above their share of the arithmetic.

# %%
x = net.preprocess([GRACE])
timings = net.model.profile(x, repeat=5)
slowest = max(timings, key=lambda t: t.seconds)
print(f"{len(timings)} steps, {sum(t.seconds for t in timings) * 1000:.2f} ms in all; "
      f"slowest: {slowest.output} ({slowest.op}, output {list(slowest.shape)}) {slowest.seconds * 1000:.2f} ms")
tc.plot_profile(timings)

# %% [markdown]
# ## Layers model against graph model
#
# The two MobileNet v1 0.25 files hold nearly the same network in two forms. The **layers**
# model (the older tfjs-models file) expects pixels in [-1, 1] and ends in a softmax over
# 1000 classes. The **graph** model (TF Hub's, converted by the TensorFlow.js converter)
# expects pixels in [0, 1], rescales them itself, and returns 1001 logits whose index 0 is
# "background"; `MobileNet` drops it and applies the softmax, as `@tensorflow-models/mobilenet`
# does. `tc.load_model` gives the raw model, whatever its kind.

# %%
GRAPH = "mobilenet_v1_025_224_graph"
if models.has(GRAPH):
    GRAPH_URL, graph_options = models.url(GRAPH), models.load_options(GRAPH)
else:
    GRAPH_URL = None
    print("No graph model here (not on this machine, no internet, and no synthetic stand-in for a graph "
          "model): this part is skipped.")

if GRAPH_URL is not None:
    graph_net = tc.MobileNet.load(GRAPH_URL, cache=store, **graph_options)
    for kind, m in (("layers", net.model), ("graph", graph_net.model)):
        x = np.zeros((1, *m.input_shape[1:]), np.float32)
        print(f"{kind:6s} model: kind={m.kind!r}, input {m.input_shape}, raw output {m.predict(x).shape}")
    graph_predictions = graph_net.classify(GRACE, topk=5)
    print()
    print(f"{'layers model':34s} graph model")
    for a, b in zip(predictions, graph_predictions):
        print(f"{a.class_name[:26]:26s} {a.probability:6.1%}  {b.class_name[:26]:26s} {b.probability:6.1%}")

# %%
if GRAPH_URL is not None:
    display(tc.plot_predictions(GRACE, graph_predictions, title="MobileNet v1 0.25 (TF Hub graph model)"))

# %% [markdown]
# Both see a uniform and a suit; they were trained separately, so their probabilities differ.
# Next: `05_dashboard` does all of this with buttons, including your own uploaded pictures.

# %%
models.close()  # stops the local model servers
