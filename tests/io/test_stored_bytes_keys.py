"""stored_bytes counts exactly the model's own keys, as all_keys lists them."""

from __future__ import annotations

import tfcache_nb as tc


def test_stored_bytes_counts_only_the_models_own_keys(tmp_path, synthetic_artifacts):
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    handler = tc.local_storage_io(store, "m")
    handler.save(synthetic_artifacts)
    alone = handler.stored_bytes()
    assert alone == store.used_bytes
    tc.local_storage_io(store, "m/x").save(synthetic_artifacts)  # another model under a longer key
    store.set("tensorflowjs_models/m/notes", "not the model's")
    store.set("tensorflowjs_models/m/weight_data:x", "not a chunk")
    store.set("tensorflowjs_models/m/weight_data:7", "a stray chunk")
    sizes = store.entry_sizes("tensorflowjs_models/m/")
    assert handler.stored_bytes() == sum(sizes[k] for k in handler.all_keys())
    assert handler.stored_bytes() == alone + sizes["tensorflowjs_models/m/weight_data:7"]
    store.close()
