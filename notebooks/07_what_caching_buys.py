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
# # What does caching buy my users, and which strategy should I pick?
#
# A mini-program is not launched once. Its users open it again and again, hours apart, on
# whatever network they have, while you publish new versions of the model and while the app's
# own data fills the same 10 MB of storage. A cache strategy decides, at every launch, whether
# to trust the copy in storage or to ask the server:
#
# | strategy | what a launch does | `tc.load_artifacts(...)` |
# | --- | --- | --- |
# | `cacheFirst` | the cached copy if there is one, never asks again (the WeChat plugin's way) | `strategy="cacheFirst"` (the default) |
# | `latest` | asks the server every launch; an unchanged model costs one round trip (HTTP 304) | `strategy="latest"` or `revalidate=True` |
# | `latest` with `max_age` | asks at most every T seconds, trusts the copy in between | `strategy="latest", max_age=T` |
# | versioned keys | the app names the model version; a new version is a new key, the old one is evicted | `version="3"` |
# | `networkOnly` | downloads every launch, no cache: what caching is compared against | `strategy="networkOnly"` |
#
# (`networkFirst`, download every time but fall back to the cache when offline, and
# `cacheOnly`, never the network, exist too; the names are WebDNN's.)
#
# This notebook answers the question in three steps: one user's launches run for real, a
# computed population of 100,000 users, and a real sample of users checked against the
# computation.

# %%
# %matplotlib inline
import time

import tfcache_nb as tc

models = tc.find_models(["mobilenet_v1_0.25_224"])
MODEL = models.folder("mobilenet_v1_0.25_224")

# %% [markdown]
# ## One user, launch after launch, for real
#
# `tc.run_launches` serves the model with `tc.ModelServer`, publishes a new version (one
# weight byte changed, a new model.json, so a new ETag) before the launches you name, and
# loads the model with each strategy at every launch, into a WeChat-style storage. The hours
# between launches are simulated: the loader's clock is injected, nothing waits for them. To
# keep this notebook quick the network is a fast custom one; the population below uses the
# real presets.

# %%
FAST = tc.Profile(rtt_ms=20, down_kbps=80_000, name="fast (20 ms, 80 Mbit/s)")
STRATEGIES = ["cacheFirst", "latest", tc.Strategy("latest", max_age=24 * 3600), "versioned", "networkOnly"]
one_user = tc.run_launches(MODEL, STRATEGIES, launches=8, updates=[3, 6], profile=FAST, hours_between=8)
one_user

# %% [markdown]
# Each line is a strategy; each dot a launch. Ringed dots are **stale** launches: the user ran
# an older model than the server's. `cacheFirst` is stale from the first update on, forever;
# `latest` never is, but every launch waits for a round trip; `max_age` and versioned keys sit
# in between.

# %%
tc.plot_launches(one_user)

# %% [markdown]
# ## A population: 100,000 users
#
# `tc.simulate_population` replays the same launch sequence for every user at once with numpy:
# the network time from the latency model (the same rules the server paces by), the local time
# (reading the cache, saving a download) drawn per launch from samples measured on this
# machine, and the storage rule: a model is saved only if it fits beside the app's own data;
# the toolkit never evicts data it did not write, so a user whose data leaves no room
# downloads the model on every launch.
#
# The network mix, the hours between launches and the app's own data below are an
# illustration; put in what you know about your users.

# %%
MIX = {"wifi": 0.45, "4g": 0.35, "fast-3g": 0.15, "slow-3g": 0.05}
started = time.perf_counter()
population = tc.simulate_population(MODEL, users=100_000, network_mix=MIX, launches=20, updates=[5, 12],
                                    hours_between=(2, 48), other_data_bytes=(0, 10 * 2 ** 20),
                                    strategies=STRATEGIES, seed=0)
print(f"100,000 users x 20 launches x {len(STRATEGIES)} strategies computed in "
      f"{time.perf_counter() - started:.1f} s (local times measured on this machine included)")
population

# %%
tc.plot_population(population)

# %% [markdown]
# ## What caching buys
#
# Against no cache at all (`networkOnly`), computed from the table above:

# %%
rows = {r["strategy"]: r for r in population.summary()}
none, cached = rows["networkOnly"], rows["cacheFirst"]
print(f"median launch: {none['median_s']:.2f} s without a cache, {cached['median_s'] * 1000:.0f} ms with "
      f"cacheFirst ({none['median_s'] / cached['median_s']:.0f}x faster)")
print(f"slowest 10% of launches start above {none['p90_s']:.1f} s without a cache, "
      f"{cached['p90_s']:.1f} s with one")
print(f"each user downloads {tc.human_bytes(cached['bytes_saved_per_user'])} less over 20 launches "
      f"({cached['hit_rate']:.0%} of launches come from storage)")
print(f"but {cached['users_with_stale']:.0%} of users run an outdated model, "
      f"{cached['stale_per_user']:.1f} launches each on average")

# %% [markdown]
# ## Which strategy should I pick?
#
# The answer weighs freshness against launch time. The lines below are computed from this
# population, so they change when you change the mix, the schedule or the model.

# %%
for label, r in rows.items():
    if label == "networkOnly":
        continue
    print(f"{label:24s} median {r['median_s'] * 1000:6.0f} ms, p90 {r['p90_s']:5.2f} s, "
          f"{r['stale_per_user']:5.2f} stale launches per user, {tc.human_bytes(r['bytes_per_user'])} per user")
fresh = [label for label, r in rows.items() if r["stale_per_user"] == 0 and label != "networkOnly"]
best_fresh = min(fresh, key=lambda s: rows[s]["median_s"])
print(f"\n- never stale: {best_fresh}, at a median launch of {rows[best_fresh]['median_s'] * 1000:.0f} ms.")
for label, r in rows.items():
    if label in fresh or label == "networkOnly":
        continue
    gain = rows[best_fresh]["median_s"] - r["median_s"]
    if gain > 0.001:
        print(f"- {label}: {gain * 1000:.0f} ms faster at the median, for {r['stale_per_user']:.2f} stale "
              "launches per user.")
    else:
        print(f"- {label}: no faster at the median here, and {r['stale_per_user']:.2f} stale launches per user.")

# %% [markdown]
# ## Is the computation right? Real users against it
#
# `population.run_sample(n)` runs the first `n` users of a population for real: each gets
# their own `ModelServer` (their own simulated link), a storage holding their own data, and
# the same version history; `concurrency` users run at once. Run for real on the presets
# above this takes minutes (a download on slow 3G alone is about a minute), so here the check
# uses a population on one fast network (one network, so that each kind of launch takes one
# time and its median means something) and three launches; `benchmarks/bench_population.py
# --validate 30` runs 20 launches on 4G and Wi-Fi (its figures are in the README).
#
# Two users at a time: the network waits overlap freely, but reading and saving the model is
# this machine's CPU work, and more users at once than cores would slow each other down.

# %%
FAST_NET = {tc.Profile(rtt_ms=40, down_kbps=60_000, jitter_ms=5, name="fast (40 ms, 60 Mbit/s)"): 1.0}
check = tc.simulate_population(MODEL, users=10_000, network_mix=FAST_NET, launches=3, updates=[2],
                               other_data_bytes=(0, 8 * 2 ** 20), strategies=["cacheFirst", "latest"], seed=1)
sample = check.run_sample(30, concurrency=2)
sample

# %% [markdown]
# Lines: the computed distribution of launch times; dots: the launches measured for the 30
# real users. Downloads and `latest`'s 304s are the network, which the latency model replays:
# they should agree closely. Cache reads are a few milliseconds of this machine's CPU; the
# model draws them from samples measured one user at a time, while two users at once (and
# whatever else the machine runs) spread the real ones further. The table below compares the very same launches
# kind by kind.

# %%
tc.plot_population(check, sample)

# %%
sample.kinds_table()

# %%
for row in sample.compare():
    print(f"{row['strategy']:12s} measured median {row['real_median_s'] * 1000:6.1f} ms, computed "
          f"{row['model_median_s'] * 1000:6.1f} ms ({row['ratio']:.2f}x); stale launches "
          f"{row['real_stale']} measured, {row['model_stale']} computed")

# %% [markdown]
# Where a median falls among cache reads, the comparison above also measures how busy this
# machine was while the sample ran, against when the local times were sampled. To check only
# what the population model claims (the network, and which launches read, check, download
# and save), `sample.held_out()` computes each half of the users again with the reads and
# saves measured on the other half, in this same run: no user's own times enter their
# computation, and both sides ran under the same load. The dashed lines in the plot are
# those computed launches.

# %%
held = sample.held_out()
tc.plot_population(check, held)

# %%
for before, after in zip(sample.compare(), held.compare()):
    print(f"{before['strategy']:12s} measured/computed: {before['ratio']:.2f} with local times sampled "
          f"beforehand, {after['ratio']:.2f} with the other users' times from this run")
models.close()
