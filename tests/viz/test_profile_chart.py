"""plot_profile: one bar per step, the legend's shares add up, bad input gets one typed error."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import tfcache_nb as tc
from tfcache_nb.inference.model import Model
from tfcache_nb.inference.plan import StepTiming
from tfcache_nb.viz.charts import figure_png

PNG = b"\x89PNG\r\n\x1a\n"


def _timings():
    return [StepTiming("conv1", "Conv2D", (1, 4, 4, 8), 0.002), StepTiming("dw$1", "DepthwiseConv2D", (1, 4, 4, 8), 0.006),
            StepTiming("pw1", "Conv2D", (1, 4, 4, 8), 0.002), StepTiming("pool", "GlobalAveragePooling2D", (1, 8), 0.0)]


def _bars(fig):
    return [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("step:")]


def test_bars_follow_run_order_with_each_steps_time():
    fig = tc.plot_profile(_timings())
    assert isinstance(fig, Figure)
    bars = sorted(_bars(fig), key=lambda b: -b.get_y())  # top bar first
    assert [b.get_gid() for b in bars] == ["step:conv1", "step:dw$1", "step:pw1", "step:pool"]
    assert [round(b.get_width(), 6) for b in bars] == [2.0, 6.0, 2.0, 0.0]
    ax = fig.axes[0]
    assert "10.00 ms" in ax.get_title() and "ms" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "DepthwiseConv2D: 6.00 ms (60%)" and legend[1] == "Conv2D: 4.00 ms (40%)"
    # a '$' in a layer name is drawn as written, not as math
    assert r"dw\$1" in [t.get_text() for t in ax.get_yticklabels()]
    assert figure_png(fig).startswith(PNG)


def test_top_keeps_the_slowest_steps_in_run_order():
    fig = tc.plot_profile(_timings(), top=2)
    gids = [b.get_gid() for b in sorted(_bars(fig), key=lambda b: -b.get_y())]
    # dw$1 is the slowest; of the two tied at 2 ms, the first to run is kept
    assert gids == ["step:conv1", "step:dw$1"]
    assert "2 slowest of 4" in fig.axes[0].get_title()


def test_a_real_models_profile_draws_every_layer(synthetic_artifacts):
    model = Model.from_artifacts(synthetic_artifacts)
    timings = model.profile(np.zeros((1, *model.input_shape[1:]), np.float32), repeat=2)
    fig = tc.plot_profile(timings)
    assert len(_bars(fig)) == len(timings)
    assert {t.op for t in timings} >= {"Conv2D", "DepthwiseConv2D"}


@pytest.mark.parametrize("bad", [[], "conv1", [1, 2], [{"output": "a"}]])
def test_bad_timings_get_one_typed_error(bad):
    with pytest.raises(tc.InvalidArgumentError, match="plot_profile"):
        tc.plot_profile(bad)


@pytest.mark.parametrize("top", [0, -3, 1.5, True])
def test_bad_top_gets_one_typed_error(top):
    with pytest.raises(tc.InvalidArgumentError, match="top"):
        tc.plot_profile(_timings(), top=top)


def test_long_graph_node_names_keep_their_distinct_ends():
    scope = "module_apply_default/MobilenetV1/MobilenetV1/"
    timings = [StepTiming(scope + "Conv2d_1_depthwise/Relu6", "DepthwiseConv2dNative", (1, 2), 0.001),
               StepTiming(scope + "Conv2d_1_pointwise/Relu6", "Conv2D", (1, 2), 0.002)]
    fig = tc.plot_profile(timings)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(names) == ["\u2026V1/Conv2d_1_depthwise/Relu6", "\u2026V1/Conv2d_1_pointwise/Relu6"]
    colours = {b.get_gid(): b.get_facecolor() for b in _bars(fig)}
    depthwise = colours["step:" + timings[0].output]
    pointwise = colours["step:" + timings[1].output]
    assert depthwise != pointwise  # a graph model's depthwise and pointwise convolutions are told apart
