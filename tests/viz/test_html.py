"""HTML views escape every string from a model, a URL or a user."""

from __future__ import annotations

from tfcache_nb.format.artifacts import ModelArtifactsInfo
from tfcache_nb.inference.mobilenet import Prediction
from tfcache_nb.storage.wx_storage import WxStorage
from tfcache_nb.viz.html import StorageView, model_info_html, predictions_html, storage_html

HOSTILE = "<script>alert(1)</script>"


def _safe(html: str) -> None:
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_storage_html_escapes_model_and_namespace_names(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3", app_id=HOSTILE, user_id="u")
    store.set(f"tensorflowjs_models/{HOSTILE}/info", '{"weightDataBytes": 3}')
    store.set(f"tensorflowjs_models/{HOSTILE}/weight_data:0", "AAAA")
    html = storage_html(store)
    _safe(html)
    assert "weights as base64" in html
    view = StorageView(store)
    page = view._repr_html_()
    _safe(page)
    assert page.startswith("<img") and "data:image/png;base64," in page
    assert view._repr_png_().startswith(b"\x89PNG")


def test_predictions_and_model_info_html_escape():
    _safe(predictions_html([Prediction(1, HOSTILE, 0.5)], note=HOSTILE))
    info = ModelArtifactsInfo.from_json({"modelTopologyType": HOSTILE, "weightDataBytes": 2048})
    html = model_info_html(info, name=HOSTILE)
    _safe(html)
    assert "2 KiB" in html


def test_empty_storage_html(tmp_path):
    assert "(empty)" in storage_html(WxStorage(tmp_path / "s.sqlite3"))
