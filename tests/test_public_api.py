"""The public API contract (docs/API.md): every name is there, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tfcache_nb as tc

CONTRACT = [
    "WxStorage", "ModelArtifacts", "ModelArtifactsInfo", "http_io", "local_storage_io", "file_storage_io",
    "io_for", "list_models", "remove_model", "copy_model", "move_model", "load_artifacts", "load_model",
    "MobileNet", "ModelServer", "PROFILES", "Profile", "run_experiment", "TfcacheError", "StorageError",
    "StorageQuotaError", "StorageValueTooLargeError", "ModelFormatError", "ModelLoadError", "ImageError",
    "ModelExecutionError",
]


@pytest.mark.parametrize("name", sorted(set(CONTRACT) | set(tc.__all__)))
def test_every_public_name_resolves(name):
    assert getattr(tc, name) is not None


def test_errors_share_one_base():
    for name in ("StorageError", "StorageQuotaError", "StorageValueTooLargeError", "ModelFormatError",
                 "ModelLoadError", "ImageError", "CacheIntegrityError", "InvalidArgumentError", "ModelExecutionError"):
        assert issubclass(getattr(tc, name), tc.TfcacheError)
    assert issubclass(tc.StorageQuotaError, tc.StorageError)
    assert issubclass(tc.StorageValueTooLargeError, tc.StorageError)


def test_profiles_have_the_promised_presets():
    assert {"slow-3g", "fast-3g", "4g", "wifi", "distant"} <= set(tc.PROFILES)


def test_import_is_light():
    code = ("import sys, tfcache_nb as tc; tc.WxStorage; tc.load_artifacts; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError):
        tc.not_a_name  # noqa: B018


def test_bad_arguments_are_toolkit_errors_and_python_errors_too(synthetic_artifacts):
    import numpy as np

    model = tc.Model.from_artifacts(synthetic_artifacts)
    for bad in (np.zeros((1, 224, 224, 3)), np.zeros((224, 224, 3), np.float32), [1, 2]):
        with pytest.raises(tc.InvalidArgumentError):
            model.predict(bad)
    with pytest.raises(tc.TfcacheError):
        synthetic_artifacts.quantize("int4")
    with pytest.raises(ValueError):
        tc.Profile.from_name("5g")
    with pytest.raises(TypeError):
        model.predict("not an array")


def test_a_model_names_its_inputs_and_outputs(synthetic_artifacts):
    import numpy as np

    model = tc.Model.from_artifacts(synthetic_artifacts)
    assert len(model.input_names) == 1 and len(model.output_names) == 1
    x = np.zeros((1, *model.input_shape[1:]), np.float32)
    assert isinstance(model.predict(x), np.ndarray)
    assert isinstance(model.predict({model.input_names[0]: x}), np.ndarray)
