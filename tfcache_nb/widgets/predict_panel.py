"""The prediction panel: an uploaded picture or one of matplotlib's samples, classified by MobileNet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .._html import esc
from ..viz._common import to_png
from ..viz.html import predictions_html
from ..viz.predictions import plot_predictions

if TYPE_CHECKING:
    from .dashboard import Dashboard

UPLOADED = "(the uploaded file)"


def uploaded_bytes(value: Any) -> tuple[str, bytes] | None:
    """(name, content) of the first file in a FileUpload value (ipywidgets 8: a tuple of dicts)."""
    if not value:
        return None
    first = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
    content = first["content"]
    return str(first.get("name", "upload")), bytes(content)


class PredictPanel:
    def __init__(self, d: "Dashboard") -> None:
        from ..inference.samples import sample_images

        self.d = d
        self.samples = sample_images()
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="Upload image")
        self.sample = w.Dropdown(options=list(self.samples) + [UPLOADED], description="image")
        self.topk = w.IntSlider(value=5, min=1, max=10, description="top-k")
        self.classify = w.Button(description="Classify", button_style="primary", icon="eye")
        # hidden until drawn: an Image without a picture shows a broken-image icon
        self.chart = w.Image(format="png", layout=w.Layout(display="none", max_width="850px", width="100%"))
        self.table = w.HTML()
        for widget, css in ((self.upload, "tfcache-upload"), (self.sample, "tfcache-sample"),
                            (self.topk, "tfcache-topk"), (self.classify, "tfcache-classify"),
                            (self.chart, "tfcache-prediction-chart"), (self.table, "tfcache-predictions")):
            widget.add_class(css)
        self.upload.observe(lambda _c: setattr(self.sample, "value", UPLOADED), names="value")
        self.classify.on_click(lambda _b: d.jobs.run("classifying", self.do_classify))
        self.predictions: list[Any] = []
        self._net: Any = None
        self.widget = w.VBox([
            w.HTML("<b>What MobileNet sees</b>: the model loaded in the first tab (loaded now if none)."),
            w.HBox([self.sample, self.upload], layout=w.Layout(flex_flow="row wrap")), self.topk, self.classify, self.chart, self.table])

    def model_changed(self) -> None:
        self._net = None

    def _image(self) -> tuple[str, Any]:
        if self.sample.value == UPLOADED:
            got = uploaded_bytes(self.upload.value)
            if got is None:
                raise ValueError("upload an image first, or pick one of the sample images.")
            return got
        return self.sample.value, self.samples[self.sample.value]

    def do_classify(self) -> None:
        from ..inference.mobilenet import MobileNet
        from ..inference.model import Model

        name, image = self._image()
        lp = self.d.load_panel
        if lp.last_artifacts is None:
            lp.do_load()
        if self._net is None:
            self._net = MobileNet(Model.from_artifacts(lp.last_artifacts))
        preds = self._net.classify(image, topk=int(self.topk.value))
        self.predictions = preds
        src = lp.last_source
        note = src.note if src is not None and src.synthetic else None
        fig = plot_predictions(image, preds, title=f"{name}: top-{len(preds)}", note=note)
        self.chart.value = to_png(fig, dpi=80)
        self.chart.layout.display = None
        self.table.value = predictions_html(preds, note) + (
            f"<small>model: {esc(src.label)}</small>" if src is not None else "")
