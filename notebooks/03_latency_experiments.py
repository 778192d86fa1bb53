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
# # Latency experiments: cold network against warm cache
#
# The point of caching a model is time. A mini-program that loads MobileNet from the network
# waits for every byte, on every launch; one that loads it from storage does not. How much
# that saves depends on the network (round trips and bandwidth) and on the model's size.
#
# To measure it without a phone, `tc.ModelServer` serves a model folder on this machine and
# **paces its responses like a real network**: each request waits one round trip before its
# first byte, the bodies share the download bandwidth, and only a few requests are served at
# once, as browsers do. `tc.expected_load_time` computes what such a load *should* take, and
# `tc.run_experiment` measures cold loads (cache emptied first) against warm loads (from the
# cache) over several trials.

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
# The experiments need model **folders** (the simulated server serves them). Local models
# (the embedded one included) and synthetic ones already are; a model found on the internet
# is downloaded once into a temporary folder, in the layout the TensorFlow.js converter writes.
# `models.folder(name)` does that.

# %%
import json

SMALL, LARGE = models.folder("mobilenet_v1_0.25_224"), models.folder("mobilenet_v1_0.75_224")
for folder in (SMALL, LARGE):
    manifest = json.loads((folder / "model.json").read_text())["weightsManifest"]
    shards = [folder / path for group in manifest for path in group["paths"]]
    print(f"{folder.name}: model.json + {len(shards)} shards, {tc.human_bytes(sum(p.stat().st_size for p in shards))}")

# %% [markdown]
# ## The networks
#
# `tc.PROFILES` holds presets named after what users know, each with its figures and their
# public source: Chrome DevTools' and Lighthouse's throttling presets, WebPageTest's
# connectivity profiles, and `distant`, a user in China reaching a model hosted abroad.

# %%
for name, p in tc.PROFILES.items():
    print(f"{name:18s} {p.rtt_ms:7.1f} ms round trip  {p.down_kbps / 1000:6.2f} Mbit/s"
          f"  jitter {p.jitter_ms:4.0f} ms  {p.max_connections} connections")

# %% [markdown]
# ## What the latency model expects
#
# A TensorFlow.js load fetches model.json (one request), then every weight shard in
# parallel, a few at a time. With `n` equal shards, `c` connections, round trip `rtt` and
# bandwidth `B`, a cold load takes about
#
#     rtt + json / B  +  ceil(n / c) x rtt  +  shards / B
#
# The tfjs-models MobileNet v1 files come in 55 small shards, so round trips matter as well as
# bytes: six at a time, that is ten waves of requests, each waiting a round trip (2 s on slow
# 3G). A warm load does none of it.

# %%
print(f"{'profile':18s} {'0.25 (1.81 MiB)':>15s} {'0.75 (9.93 MiB)':>16s}   where the time goes (0.25)")
for name in tc.PROFILES:
    small, large = tc.expected_load_time(SMALL, name), tc.expected_load_time(LARGE, name)
    print(f"{name:18s} {small.total_s:13.1f} s {large.total_s:14.1f} s   "
          f"{small.round_trip_s:5.1f} s round trips + {small.transfer_s:5.1f} s transfer")

# %% [markdown]
# ## Measuring it: cold against warm
#
# Real presets take seconds to minutes per load, too slow for a tutorial that runs in a test
# suite. So the run below uses three **fast** custom profiles (`tc.Profile(rtt_ms,
# down_kbps)`), a few trials each. Everything else is exactly what a long run does: the cache
# entry is removed, the model comes over the paced server and is saved into a `WxStorage`
# SQLite file, then it is loaded again from the cache. Jitter and everything random are
# seeded, so a rerun with the same `seed` waits the same round trips.

# %%
FAST = [
    tc.Profile(rtt_ms=2, down_kbps=500_000, name="lan"),
    tc.Profile(rtt_ms=10, down_kbps=100_000, name="fast wifi"),
    tc.Profile(rtt_ms=25, down_kbps=40_000, jitter_ms=5, name="fast 4g"),
]
results = tc.run_experiment(SMALL, FAST, storages="wx", trials=3, seed=0)
results

# %% [markdown]
# The chart: medians with 5th-95th percentile bars on a log time axis, the latency model's
# expected cold time marked. Cold loads grow with the round trips; warm loads do not move,
# because they never touch the network.

# %%
results.plot()

# %% [markdown]
# In the table, `network/expected` compares the measured network phase of the cold loads with
# the latency model; the rest of a cold load is saving to storage. The slower the network, the
# closer it comes to 1: on the fastest profile, the fixed cost of each HTTP request on this
# machine (which the model does not count) weighs most. `results.table(wide=True)` shows every
# figure (percentiles, means with their intervals, bytes). Every record is a plain dict, so
# pandas users can write `pd.DataFrame(results.records)`, and `to_csv` writes one row per load.

# %%
import tempfile
from pathlib import Path

csv_path = results.to_csv(Path(tempfile.mkdtemp()) / "cold_vs_warm.csv")
print(f"\n{len(results.records)} loads written to {csv_path}")
print({k: results.records[0][k] for k in ("model", "profile", "kind", "total_s", "source", "bytes_network")})

# %% [markdown]
# ## Model size: 0.25 against 0.75
#
# The 0.75 MobileNet is 5.5 times larger. It does not fit in WeChat's 10 MiB local storage as
# float32 (see notebook 02), so here both models are cached with the plugin's **file
# storage** (`storages="file"`: the weights as one raw binary file, without base64), which is
# the plugin's answer for bigger models.

# %%
sizes = tc.run_experiment([SMALL, LARGE], FAST[1], storages="file", trials=2, seed=0)
print(sizes)
tc.plot_load_times(sizes)

# %% [markdown]
# ## Running the real presets
#
# For numbers to put in a report, run the real presets with more trials. It takes a while
# (slow 3G alone is minutes per trial for the larger model), so it is off here: set
# `RUN_REAL_PRESETS = True` and run the cell. `progress=True` prints a progress line. The same
# run from a terminal: `tfcache-nb bench --model-dir DIR --profile slow-3g --profile 4g
# --trials 10 --csv results.csv --plot results.png`.

# %%
RUN_REAL_PRESETS = False
presets = ["slow-3g", "fast-3g", "4g", "wifi", "distant"]
estimate = sum(tc.expected_load_time(SMALL, p).total_s for p in presets) * 10
print(f"10 trials of the 0.25 model on {', '.join(presets)}: about {estimate / 60:.0f} minutes of cold loads")
if RUN_REAL_PRESETS:
    real = tc.run_experiment(SMALL, presets, trials=10, seed=0, progress=True)
    display(real)
    display(real.plot())

# %%
models.close()  # stops the local model servers
