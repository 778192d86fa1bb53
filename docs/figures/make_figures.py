"""Regenerate the figures in this folder: ``/work/venv/bin/python docs/figures/make_figures.py``.

Run it with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` as the inference benchmark is, so the
profile figure shows the same BLAS kernels as the README's figures.

Uses the real models in ``../shared/models`` (or ``$TFCACHE_NB_MODEL_DIR``) served on
127.0.0.1; without them, the synthetic model (random weights) stands in, and the file says so.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import tfcache_nb as tc
from tfcache_nb.inference.samples import sample_image_path
from tfcache_nb.viz.charts import figure_png, plot_predictions, plot_profile, plot_storage
from tfcache_nb.experiments.sources import local_model_folders

HERE = Path(__file__).resolve().parent


def main() -> None:
    folders = {p.name: p for p in local_model_folders(os.environ.get("TFCACHE_NB_MODEL_DIR"))}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if {"mobilenet_v1_0.25_224", "mobilenet_v1_025_224_graph", "mobilenet_v1_0.75_224"} <= set(folders):
            small_a, small_b, big = (folders["mobilenet_v1_0.25_224"], folders["mobilenet_v1_025_224_graph"],
                                     folders["mobilenet_v1_0.75_224"])
            real = True
        else:
            from tfcache_nb.format.synthetic import write_synthetic_mobilenet

            small_a = small_b = write_synthetic_mobilenet(tmp_path / "synthetic_0.25", alpha=0.25)
            big = write_synthetic_mobilenet(tmp_path / "synthetic_0.75", alpha=0.75)
            real = False
        alice = tc.WxStorage(tmp_path / "s.sqlite3", app_id="photo-app", user_id="alice")
        bob = alice.for_namespace("photo-app", "bob")
        with tc.ModelServer(small_a.parent) as srv:
            def url(folder: Path) -> str:
                return f"{srv.url}/{folder.name}/model.json"

            tc.load_artifacts(url(small_a), cache=alice)
            tc.load_artifacts(url(small_b), cache=bob)
            _, failed = tc.load_artifacts(url(big), cache=bob)
        title = ("Two users of one mini-program: alice's model fits, bob's second model does not"
                 + ("" if real else " (synthetic models)"))
        fig = plot_storage([alice, bob], pending={("photo-app", "bob"): [failed]}, title=title)
        (HERE / "storage_two_users.png").write_bytes(figure_png(fig))
        alice.close()

        image = sample_image_path("grace_hopper.jpg")
        net = tc.MobileNet.load(str(small_a))
        preds = net.classify(image, topk=5)
        note = None if real else "synthetic model with random weights: its predictions mean nothing"
        fig = plot_predictions(image, preds, title=f"MobileNet v1 0.25 on grace_hopper.jpg: top-5", note=note)
        (HERE / "predictions_grace_hopper.png").write_bytes(figure_png(fig))

        model = tc.load_model(str(big))
        timings = model.profile(tc.MobileNet.from_model(model).preprocess([image]), repeat=50)
        total_ms = sum(t.seconds for t in timings) * 1000
        fig = plot_profile(timings, title=f"MobileNet v1 0.75, one image: {total_ms:.2f} ms, layer by layer"
                                          + ("" if real else " (synthetic model)"))
        (HERE / "profile_mobilenet_075.png").write_bytes(figure_png(fig))
    print("wrote storage_two_users.png, predictions_grace_hopper.png and profile_mobilenet_075.png in", HERE,
          file=sys.stderr)


if __name__ == "__main__":
    main()
