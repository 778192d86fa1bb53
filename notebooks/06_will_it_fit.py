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
# # 06 · Will it fit? Real models against WeChat's 10 MiB, and what fitting costs
#
# The first question a mini-program developer with a model meets is whether it fits the
# 10 MiB of local storage, and what it costs to make it fit. The plugin answers neither: it
# writes, and fails with `exceed storage max size 10Mb`, often for a model whose weights are
# well under 10 MiB, because the weights are stored as base64, a third bigger.
#
# `tc.fit_report(source)` answers both before anything is saved: for the model **as it is**
# and as **float16**, **uint16** and **uint8** (weights already stored as float16 are
# converted to uint8 too), the exact bytes WeChat's storage would hold, whether that fits, and
# the cost: the **drift** of the outputs (largest `max|diff| / max|ref|`) against the model
# as it is, top-1 agreement for classifiers, and the warm load time.
#
# This notebook runs it over real models: the face, hand, pose and segmentation models of
# `../shared/zoo` and the three MobileNets when they are beside the repository, synthetic
# MobileNets otherwise.

# %%
# %matplotlib inline
import os
import tempfile
import time
from pathlib import Path

import tfcache_nb as tc


MOBILENETS = ["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224", "mobilenet_v1_025_224_graph"]
found = tc.find_models(MOBILENETS)  # the README's one rule; says where each came from
sources = {name: found.folder(name) for name in MOBILENETS if found.has(name)}


def zoo_folder():
    """The real graph models of ``../shared/zoo`` (beside $TFCACHE_NB_MODEL_DIR or the repository)."""
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    folder = (Path(env).parent if env else Path("../../shared")) / "zoo"
    return folder.resolve() if folder.is_dir() else None


ZOO = zoo_folder()
if ZOO is not None:
    zoo = {p.name: p for p in sorted(ZOO.iterdir()) if (p / "model.json").is_file()}
    sources.update(zoo)
    print(f"and {len(zoo)} real graph models from {ZOO}: {', '.join(zoo)}")
else:
    print("and no zoo of real graph models (../shared/zoo is not beside the repository)")
SYNTHETIC = [name for name in MOBILENETS if found.has(name) and found.synthetic(name)]
if SYNTHETIC:
    print(f"{', '.join(SYNTHETIC)}: synthetic, so their drift and top-1 figures are MEANINGLESS "
          "(random weights); their sizes are exact")

# %% [markdown]
# ## One model, every form
#
# MobileNet 0.75 is the classic case: 9.93 MiB of float32 weights, so "just under 10 MiB",
# but 13.29 MiB once stored.

# %%
first = sources.get("mobilenet_v1_0.75_224") or next(iter(sources.values()))
report = tc.fit_report(first)
report

# %%
report.plot()

# %% [markdown]
# ## All of them
#
# The same question over every model. To keep the notebook quick, the cost is measured on
# one photograph (matplotlib's `grace_hopper.jpg`, resized to each model's input), and once
# `BUDGET_S` seconds have been spent measuring, the remaining models are sized only. Models the
# toolkit cannot run yet get sizes, and the reason they could not be measured.

# %%
from matplotlib import cbook

PHOTO = [cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)]
BUDGET_S = 25.0
reports, spent = [], 0.0
for name, path in sources.items():
    start = time.perf_counter()
    measure = spent < BUDGET_S
    reports.append(tc.fit_report(path, inputs=PHOTO, measure=measure))
    spent += time.perf_counter() - start if measure else 0.0
print(f"{len(reports)} models sized; cost measured in {spent:.1f} s")


def row(r):
    as_is, best = r.form("as-is"), r.suggested
    if best is None:
        verdict = "fits in no form: file storage"
    elif best.form == "as-is":
        verdict = "fits as it is"
    else:
        verdict = f"fits as {best.form}"
    cost = "-" if best is None else best.cost_text()
    if not r.runnable:
        cost += " (not runnable here)" if r.drift_error else " (not measured)"
    return (f"{r.name[:28]:28s} {tc.human_bytes(as_is.weight_bytes):>10s} {tc.human_bytes(as_is.stored_bytes):>10s}  "
            f"{verdict:24s} {cost}")


print(f"{'model':28s} {'weights':>10s} {'stored':>10s}  {'verdict':24s} cost")
for r in reports:
    print(row(r))

# %%
tc.plot_fit(reports, title="Which real models fit WeChat's 10 MiB, in which form, at what cost")

# %% [markdown]
# What to read off the chart: a hatched bar does not fit. Every model here fits in some form;
# models already shipped as float16 (most of the zoo) are offered uint8, which halves them
# again. The cost of a form is only known where the model runs: on the real MobileNets, uint8 moves the
# probabilities by tens of percent and changes the top-1 class, while uint16 and float16 stay
# within a percent, so `quantize="auto"` takes uint16 for MobileNet 0.75.
#
# ## Let the cache choose, and file storage take what does not fit
#
# `quantize="auto"` stores the fitting form with the least measured drift; `max_drift=`
# refuses forms that cost more. A `TieredCache` puts a model that fits no acceptable form in
# the plugin's file storage instead (raw bytes, no base64; WeChat allows 200 MiB of files),
# so with `max_drift=0` MobileNet 0.75 is kept exact, in files.

# %%
work = Path(tempfile.mkdtemp(prefix="tfcache_nb_fit_"))
cache = tc.TieredCache(tc.WxStorage(work / "wx.sqlite3"), work / "usr")
cold = tc.load_model(first, cache=cache, quantize="auto", max_drift=0)
print(cold.report)
warm = tc.load_model(first, cache=cache, quantize="auto", max_drift=0)
print("\nsecond load:", warm.report.source, "from", warm.report.tier, "storage;",
      "byte for byte:", warm.artifacts.weight_data == cold.artifacts.weight_data)

# %%
auto_store = tc.WxStorage(work / "auto.sqlite3")
_, auto = tc.load_artifacts(first, cache=auto_store, quantize="auto")
print(auto)
print({key: info.tier for key, info in tc.list_models(cache).items()})

# %% [markdown]
# The same table on the command line: `tfcache-nb fit ../shared/zoo/faceres` (add
# `--image photo.jpg` to measure on your own images, `--json` for a machine-readable report).
