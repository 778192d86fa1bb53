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
# # The dashboard
#
# Everything in the other notebooks, behind buttons. `tc.Dashboard()` shows three tabs:
#
# - **Load & storage**: choose a model source (the real MobileNet files on this machine, or
#   the real 0.25 model that ships inside tfcache_nb, served on 127.0.0.1; synthetic
#   stand-ins with random weights; or Google's URLs when you have the internet),
#   the WeChat `app_id` and `user_id`, and a simulated network. **Load** decides cold or warm
#   as the loader does: the first load comes over the network, the next from the cache. The
#   progress bar moves while shards download, the load report says where the time went, and
#   the storage chart, redrawn after every change, shows how full the 10 MiB are. Try another
#   `user_id`: its storage is empty. Try the 0.75 model: it does not fit.
# - **Experiment**: cold against warm over simulated networks, with a plot, a summary table
#   and a CSV download.
# - **Predict**: upload a picture, or pick one of matplotlib's samples, and see MobileNet's
#   top classes.
#
# Errors appear as one red line at the top, never as a traceback that hides the controls.
# The widgets need a live kernel: run the cell (or open this notebook with Voilà).

# %%
import tfcache_nb as tc

# the model list starts with the one the toolkit's rule picks (see the README)
print("Models: preselected", tc.find_model().label)
tc.Dashboard()
