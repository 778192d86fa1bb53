"""Model.profile says which step a prediction's time goes to."""

import time

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.inference.plan import Plan, Step
from test_plan_buffers import _reference, _residual_model
from test_layers_model import w


def test_profile_lists_every_layer_in_order_with_its_output_shape():
    model, weights = _residual_model()
    x = w(2, 6, 6, 3)
    timings = model.profile(x, repeat=3)
    assert [t.output for t in timings] == ["a", "view", "b", "sum", "c"]
    assert [t.op for t in timings] == ["Conv2D", "Reshape", "Conv2D", "Add", "Conv2D"]
    assert all(t.shape == (2, 6, 6, 4) for t in timings)
    assert all(isinstance(t, tc.StepTiming) and t.seconds >= 0 for t in timings)
    # profiling runs the real bound program and leaves the model answering correctly
    np.testing.assert_allclose(model.predict(x), _reference(x, weights), atol=1e-4)


def test_profile_charges_a_slow_step_with_its_delay():
    def slow(x):
        time.sleep(0.05)
        return x + 1

    plan = Plan("in", [Step("fast", ["in"], lambda x: x * 2, "Mul"), Step("slow", ["fast"], slow, "Sleep"),
                       Step("out", ["slow"], lambda x: x - 1, "Sub")], ["out"])
    timings = {t.output: t.seconds for t in plan.profile(np.ones((1, 4), np.float32), repeat=3)}
    assert 0.045 <= timings["slow"] < 0.5
    # the delay is charged to its own step, not to its neighbours
    assert timings["fast"] < timings["slow"] / 2 and timings["out"] < timings["slow"] / 2


@pytest.mark.parametrize("repeat", [0, -1, 2.5, True, "3"])
def test_profile_refuses_a_bad_repeat(repeat):
    model, _ = _residual_model()
    with pytest.raises(tc.InvalidArgumentError, match="repeat"):
        model.profile(w(1, 6, 6, 3), repeat=repeat)


def test_profile_checks_its_input_like_predict():
    model, _ = _residual_model()
    with pytest.raises(tc.InvalidArgumentError, match="float32"):
        model.profile(np.zeros((1, 6, 6, 3), np.float64))


def test_profile_and_predict_on_other_shapes_from_two_threads():
    import threading

    model, weights = _residual_model()
    x1, x2 = w(1, 6, 6, 3), w(3, 6, 6, 3)
    errors: list[BaseException] = []

    def profile_loop():
        try:
            for _ in range(30):
                assert len(model.profile(x1, repeat=1)) == 5
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    t = threading.Thread(target=profile_loop)
    t.start()
    for _ in range(30):
        np.testing.assert_allclose(model.predict(x2), _reference(x2, weights), atol=1e-4)
    t.join()
    assert errors == []
