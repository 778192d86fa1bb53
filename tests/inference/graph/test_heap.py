"""heap.keep_freed_memory: glibc keeps freed blocks for the next prediction, unless opted out."""

import os
import platform
import subprocess
import sys

import pytest

SCRIPT = r"""
import resource, sys
import numpy as np
from tfcache_nb.inference.graph.heap import keep_freed_memory
tuned = keep_freed_memory()
faults = []
for run in range(6):  # a 'prediction': three 8 MB arrays written, then all freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(2**20) for _ in range(3)]
    del arrays
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(tuned, sum(faults[1:]))
"""

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="the tuning is for glibc's malloc")


def run(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "TFCACHE_NB_MALLOC_TUNING"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


@glibc
def test_freed_arrays_are_not_faulted_in_again_once_tuned():
    tuned, faults = run()
    assert tuned
    untuned, faults_off = run(TFCACHE_NB_MALLOC_TUNING="0")
    assert not untuned
    # 5 runs of 3 arrays of 2048 pages: much of it given back and faulted in again untuned
    assert faults_off > 2 * 2048
    assert faults < faults_off / 20


@glibc
def test_a_users_malloc_settings_are_left_alone():
    tuned, _ = run(MALLOC_TRIM_THRESHOLD_="1000000")
    assert not tuned
