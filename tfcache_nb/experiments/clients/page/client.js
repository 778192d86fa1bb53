'use strict';
// The page side of tfcache_nb's browser client (tfcache_nb/experiments/clients/tfjs_chromium.py):
// TensorFlow.js's own loaders and caches, timed in the page so that Playwright's round trips
// are not counted. Every function resolves to plain JSON; errors come back as messages.
(function () {
  function loader(format) {
    return format === 'layers-model' ? tf.loadLayersModel : tf.loadGraphModel;
  }

  function withDeadline(promise, seconds, what) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${seconds} s`)), seconds * 1000);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  function message(err) {
    return (err && err.message) ? String(err.message) : String(err);
  }

  function dispose(model) {
    try { if (model) model.dispose(); } catch (e) { /* nothing to free */ }
  }

  async function storedBytes(url) {
    const models = await tf.io.listModels();
    const info = models[url] || null;
    if (!info) return 0;
    return (info.modelTopologyBytes || 0) + (info.weightSpecsBytes || 0) + (info.weightDataBytes || 0);
  }

  window.tfcacheClient = {
    // The CPU backend: no GPU in a headless CI browser, and the toolkit's numpy is a CPU too.
    async setup() {
      await tf.setBackend('cpu');
      await tf.ready();
      return { version: tf.version.tfjs, backend: tf.getBackend() };
    },

    // Cold: over the network from the model server, then model.save(saveTo).
    // network_s runs from the call to the last byte of the last model response (Resource Timing).
    async cold(args) {
      const { url, format, saveTo, origin, deadline } = args;
      performance.clearResourceTimings();
      const t0 = performance.now();
      let model;
      try {
        model = await withDeadline(loader(format)(url), deadline, 'the cold load');
      } catch (err) {
        return { ok: false, error: message(err), load_s: (performance.now() - t0) / 1000 };
      }
      const t1 = performance.now();
      const entries = performance.getEntriesByType('resource').filter((e) => e.name.startsWith(origin));
      const lastByte = entries.reduce((m, e) => Math.max(m, e.responseEnd), t0);
      let saveError = null;
      try {
        await withDeadline(model.save(saveTo), deadline, 'model.save');
      } catch (err) {
        saveError = message(err);
      }
      const t2 = performance.now();
      dispose(model);
      return {
        ok: true, load_s: (t1 - t0) / 1000, network_s: (lastByte - t0) / 1000, save_s: (t2 - t1) / 1000,
        requests: entries.length, saved: saveError === null, save_error: saveError,
        bytes_storage: saveError === null ? await storedBytes(saveTo) : 0,
      };
    },

    // Warm: from TensorFlow.js's own cache (indexeddb:// or localstorage://), as a later launch does.
    async warm(args) {
      const { source, format, deadline } = args;
      performance.clearResourceTimings();
      const t0 = performance.now();
      let model;
      try {
        model = await withDeadline(loader(format)(source), deadline, 'the warm load');
      } catch (err) {
        return { ok: false, error: message(err), load_s: (performance.now() - t0) / 1000 };
      }
      const t1 = performance.now();
      dispose(model);
      return {
        ok: true, load_s: (t1 - t0) / 1000, requests: performance.getEntriesByType('resource').length,
        bytes_storage: await storedBytes(source),
      };
    },
  };
})();
