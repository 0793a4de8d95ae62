// app.js -- the page around libgan's WebAssembly sampler (gan.js, gan.wasm;
// examples/web/build.sh).  No framework and nothing from the network: the
// generator comes from model.gan next to the page (or ?model=URL on the same
// server), or from a file the person picks.
//
// Query parameters, for tests and measurements (tests/web/check_web.py):
//   model=URL   the generator to load (default model.gan)
//   seed=N      the first latent: libgan's stream at seed N (default 0)
//   class=K     the class of a conditional generator (default 0)
//   test=1      after drawing, put the latent, the wasm output and the
//               canvas's pixels into <pre id="result"> as JSON
//   bench=N     also time N batch-1 generations (and N/8 of batch 8)
//   report=PATH POST that JSON to PATH on the same server
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const STEPS = 101; // interpolation positions along A -> B (the slider)
  const STRIP = 8;   // images in the A -> B strip
  const SLIDER_RANGE = 3;

  let M = null;       // the Emscripten module
  let info = null;    // {latent, h, w, c, classes}
  let zPtr = 0, outPtr = 0, ipPtr = 0; // wasm buffers
  let z = null, zA = null, zB = null, path = null;
  let label = -1;
  let pending = false;
  const times = [];

  function status(text, error) {
    const s = $('status');
    s.textContent = text;
    s.className = error ? 'error' : '';
  }

  function check(rc) {
    if (rc !== 0)
      throw new Error(M.UTF8ToString(M._ganw_error()));
  }

  function f32(ptr, n) { return new Float32Array(M.HEAPF32.buffer, ptr, n); }

  // libgan's latent stream at a seed (gan_sampler_set_seed + gan_sampler_latent).
  function latentAt(seed) {
    const lo = seed % 4294967296, hi = Math.floor(seed / 4294967296);
    check(M._ganw_latent(lo >>> 0, hi >>> 0, 1, zPtr, info.latent));
    return f32(zPtr, info.latent).slice();
  }

  // n images (u8, HWC) from n latents (one Float32Array of n * latent).
  function generate(zs, n) {
    const image = info.h * info.w * info.c;
    f32(zPtr, zs.length).set(zs);
    check(M._ganw_generate(zPtr, zs.length, n, label, outPtr, n * image));
    return new Uint8Array(M.HEAPU8.buffer, outPtr, n * image).slice();
  }

  // Put n images side by side on a canvas, gray or RGB -> RGBA.
  function draw(canvas, px, n, scale) {
    const { h, w, c } = info;
    canvas.width = w * n;
    canvas.height = h;
    canvas.style.width = (w * n * scale) + 'px';
    canvas.style.height = (h * scale) + 'px';
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(w * n, h);
    const d = img.data;
    for (let k = 0; k < n; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const s = ((k * h + y) * w + x) * c, o = (y * w * n + k * w + x) * 4;
          d[o] = px[s];
          d[o + 1] = px[s + (c === 3 ? 1 : 0)];
          d[o + 2] = px[s + (c === 3 ? 2 : 0)];
          d[o + 3] = 255;
        }
    ctx.putImageData(img, 0, 0);
  }

  function scale() { return Math.max(1, Math.floor(256 / Math.max(info.w, info.h))); }

  function render() {
    pending = false;
    const t0 = performance.now();
    const px = generate(z, 1);
    const ms = performance.now() - t0;
    draw($('image'), px, 1, scale());
    times.push(ms);
    if (times.length > 30)
      times.shift();
    const avg = times.reduce((a, b) => a + b, 0) / times.length;
    // (0 under a headless browser's virtual time: nothing to show)
    $('timing').textContent = avg > 0 ? ms.toFixed(1) + ' ms this image, ' + avg.toFixed(1) +
      ' ms on average (last ' + times.length + ')' : '';
  }

  function schedule() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(render);
    }
  }

  function showLatent() {
    const inputs = $('sliders').querySelectorAll('input');
    inputs.forEach((el, i) => { el.value = z[i]; });
  }

  function buildSliders() {
    const box = $('sliders');
    box.textContent = '';
    for (let i = 0; i < info.latent; i++) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'range';
      input.min = -SLIDER_RANGE;
      input.max = SLIDER_RANGE;
      input.step = 0.01;
      input.addEventListener('input', () => { z[i] = parseFloat(input.value); schedule(); });
      const name = document.createElement('span');
      name.textContent = 'z' + i;
      label.append(name, input);
      box.append(label);
    }
  }

  // The A -> B path (gan_latent_interpolate) and its strip of images.
  function updatePath() {
    const n = info.latent;
    const a = M._malloc(n * 4), b = M._malloc(n * 4), out = M._malloc(STEPS * n * 4);
    try {
      f32(a, n).set(zA);
      f32(b, n).set(zB);
      const slerp = $('slerp').checked ? 1 : 0;
      check(M._ganw_interpolate(a, b, n, STEPS, slerp, out, STEPS * n));
      path = f32(out, STEPS * n).slice();
      check(M._ganw_interpolate(a, b, n, STRIP, slerp, out, STRIP * n));
      draw($('strip'), generate(f32(out, STRIP * n).slice(), STRIP), STRIP,
           Math.max(1, Math.floor(scale() / 4)));
    } finally {
      M._free(a);
      M._free(b);
      M._free(out);
    }
  }

  function setSeed(seed) {
    z = latentAt(seed);
    showLatent();
    schedule();
  }

  function load(bytes, name) {
    const p = M._malloc(bytes.length);
    M.HEAPU8.set(bytes, p);
    const rc = M._ganw_load(p, bytes.length);
    M._free(p);
    check(rc);
    check(M._ganw_info(ipPtr));
    const v = new Int32Array(M.HEAP32.buffer, ipPtr, 5);
    info = { latent: v[0], h: v[1], w: v[2], c: v[3], classes: v[4] };
    M._free(zPtr);
    M._free(outPtr);
    zPtr = M._malloc(Math.max(STRIP, 1) * info.latent * 4);
    outPtr = M._malloc(STRIP * info.h * info.w * info.c);
    const sel = $('class');
    sel.textContent = '';
    for (let k = 0; k < info.classes; k++)
      sel.append(new Option(String(k), String(k)));
    $('class-row').hidden = info.classes === 0;
    const want = parseInt(params.get('class') || '0', 10);
    label = info.classes ? Math.min(Math.max(want, 0), info.classes - 1) : -1;
    if (info.classes)
      sel.value = String(label);
    buildSliders();
    const seed = Math.max(0, parseInt($('seed').value, 10) || 0);
    z = latentAt(seed);
    zA = z.slice();
    zB = latentAt(seed + 1);
    showLatent();
    updatePath();
    $('t').value = 0;
    status(name + ': ' + info.w + 'x' + info.h + 'x' + info.c + ' from ' + info.latent +
           '-d latents' + (info.classes ? ', ' + info.classes + ' classes' : '') +
           ' (libgan ' + M.UTF8ToString(M._ganw_version()) + ', WebAssembly' +
           (M._ganw_simd() ? ' SIMD)' : ')'));
  }

  function b64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function stats(ms) {
    const s = ms.slice().sort((a, b) => a - b);
    const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
    return { n: s.length, median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0],
             mean: s.reduce((a, b) => a + b, 0) / s.length };
  }

  // ?test=1 / ?bench=N: what the test compares with the native sampler.
  async function testReport() {
    render();
    const canvas = $('image');
    const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const n = info.h * info.w, shown = new Uint8Array(n * info.c);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < info.c; k++)
        shown[i * info.c + k] = rgba[i * 4 + k];
    const hex = (v) => Array.from(new Uint32Array(Float32Array.from(v).buffer), (b) => b.toString(16));
    // The slider's middle position between A (seed) and B (seed + 1).
    const mid = path.slice(50 * info.latent, 51 * info.latent);
    const result = { info, label, latent: hex(z), wasm: b64(generate(z, 1)), canvas: b64(shown),
                     mid_latent: hex(mid), mid_wasm: b64(generate(mid, 1)),
                     simd: M._ganw_simd() === 1,
                     userAgent: navigator.userAgent };
    const bench = parseInt(params.get('bench') || '0', 10);
    if (bench > 0) {
      for (let i = 0; i < 10; i++)
        generate(z, 1); // warm-up
      const one = [];
      for (let i = 0; i < bench; i++) {
        const t0 = performance.now();
        generate(z, 1);
        one.push(performance.now() - t0);
      }
      const zs = new Float32Array(STRIP * info.latent);
      for (let k = 0; k < STRIP; k++)
        zs.set(z, k * info.latent);
      const eight = [];
      for (let i = 0; i < Math.max(1, Math.floor(bench / STRIP)); i++) {
        const t0 = performance.now();
        generate(zs, STRIP);
        eight.push((performance.now() - t0) / STRIP);
      }
      result.bench = { batch1_ms: stats(one), batch8_ms_per_image: stats(eight) };
    }
    const text = JSON.stringify(result);
    const pre = $('result');
    pre.textContent = text;
    const report = params.get('report');
    if (report)
      await fetch(report, { method: 'POST', body: text });
  }

  async function fail(e) {
    status(String(e.message || e), true);
    const report = params.get('report');
    if (report)
      await fetch(report, { method: 'POST', body: JSON.stringify({ error: String(e.message || e) }) });
  }

  function wire() {
    $('file').addEventListener('change', async (ev) => {
      const f = ev.target.files[0];
      if (!f)
        return;
      try {
        load(new Uint8Array(await f.arrayBuffer()), f.name);
      } catch (e) {
        fail(e);
      }
    });
    $('seed').addEventListener('change', () => {
      if (info)
        setSeed(Math.max(0, parseInt($('seed').value, 10) || 0));
    });
    $('random').addEventListener('click', () => {
      if (!info)
        return;
      const s = (Math.max(0, parseInt($('seed').value, 10) || 0)) + 1;
      $('seed').value = s;
      setSeed(s);
    });
    $('class').addEventListener('change', () => {
      if (!info)
        return;
      label = parseInt($('class').value, 10);
      updatePath();
      schedule();
    });
    $('set-a').addEventListener('click', () => { if (info) { zA = z.slice(); updatePath(); $('t').value = 0; } });
    $('set-b').addEventListener('click', () => { if (info) { zB = z.slice(); updatePath(); $('t').value = 100; } });
    $('slerp').addEventListener('change', () => { if (info) updatePath(); });
    $('t').addEventListener('input', () => {
      if (!info)
        return;
      const i = parseInt($('t').value, 10);
      z = path.slice(i * info.latent, (i + 1) * info.latent);
      showLatent();
      schedule();
    });
  }

  async function main() {
    wire();
    M = await createGan();
    ipPtr = M._malloc(5 * 4);
    if (params.has('seed'))
      $('seed').value = params.get('seed');
    const url = params.get('model') || 'model.gan';
    let r = null;
    try {
      r = await fetch(url);
    } catch (e) {
      r = null;
    }
    if (!r || !r.ok) {
      status('Choose a generator file (.gan): gan train writes OUT/generator.gan' +
             (params.has('model') ? ' (could not load ' + url + ')' : ''), params.has('model'));
      if (params.has('model'))
        throw new Error('could not load ' + url);
      return;
    }
    load(new Uint8Array(await r.arrayBuffer()), url.split('/').pop());
    if (params.has('test') || params.has('bench'))
      await testReport();
    else
      render();
  }

  main().catch(fail);
})();
