#!/usr/bin/python3
"""The generator in a web page (issue 20) in headless Chromium.

  check_web.py WEB_DIR WORK_DIR [--docs OUT.png MODEL.gan [--docs-query Q]] [--bench N]
               [--models NAMES]

WEB_DIR is examples/web/build.sh's output (index.html, app.js, gan.js,
gan.wasm); libgan's Python bindings must find the native library
(GAN_LIBRARY).  For each generator preset (random weights from the preset's
seeded initialisation; unconditional gray, conditional, RGB, style-based) the
model file is served with the page from a local port, Chromium opens
index.html?model=...&seed=S&class=K&test=1, and the page POSTs back the
latent it drew from libgan's stream at seed S, the pixels gan_sampler_generate*_u8
made in WebAssembly, and the pixels read back from the canvas.  They must
equal the native sampler's: the latent bit for bit, every pixel within 1
(8-bit rounding; the native build's GEMM is OpenBLAS, the wasm build's its
own kernel).  --bench N also times N batch-1 images in the page (the figure
docs/embedding.md quotes), --docs writes a screenshot of the page with
MODEL.gan loaded.  Exit 0 when all holds, 77 when Chromium is absent.
"""

import argparse
import base64
import http.server
import json
import os
import shutil
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                  "--force-device-scale-factor=1", "--disable-extensions",
                  "--disable-background-networking"]


class Server:
    """Static files from a directory plus POST /result/<id> for the page's report."""

    def __init__(self, root):
        self.results = {}
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=root, **k)

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                self.send_response(204)
                self.end_headers()
                with outer.cond:
                    outer.results[self.path] = body
                    outer.cond.notify_all()

        Handler.extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                                      **{".wasm": "application/wasm", ".js": "text/javascript"})
        socketserver.TCPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, query):
        return "http://127.0.0.1:%d/index.html?%s" % (self.port, query)

    def wait(self, path, timeout):
        end = time.time() + timeout
        with self.cond:
            while path not in self.results and time.time() < end:
                self.cond.wait(max(0.0, end - time.time()))
            return self.results.get(path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_page(server, query, rid, timeout=180):
    """Open the page in headless Chromium until it POSTs /result/<rid>."""
    profile = tempfile.mkdtemp(prefix="gan-web-chromium-")
    path = "/result/%s" % rid
    url = server.url(query + "&report=" + path)
    proc = subprocess.Popen([chromium()] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = server.wait(path, timeout)
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        shutil.rmtree(profile, ignore_errors=True)
    if body is None:
        check(False, "%s: the page reported nothing in %d s; chromium: %s"
              % (rid, timeout, err.decode("utf-8", "replace")[-800:]))
        return None
    return json.loads(body)


def native(model_path, seed, label):
    """The native sampler's latent at seed and its u8 image (libgan bindings),
    and the same for the middle of the page's A -> B slider (A at seed, B at
    seed + 1, 101 spherical steps, index 50)."""
    import libgan
    import numpy as np
    m = libgan.Model.load(model_path)
    s = libgan.Sampler(m, seed=seed, max_batch=1)
    z = s.latent(1)
    s.set_seed(seed + 1)
    zb = s.latent(1)
    mid = np.asarray(libgan.latent_interpolate(z[0], zb[0], 101, spherical=True))[50][None, :]
    labels = None if label < 0 else [label]
    return z, s.generate_u8(z=z, labels=labels), mid, s.generate_u8(z=mid, labels=labels)


def floats(hexes):
    import numpy as np
    return np.array([struct.unpack("<f", struct.pack("<I", int(h, 16)))[0] for h in hexes], np.float32)


def compare(name, model_path, server, seed, label):
    import numpy as np
    res = run_page(server, "model=%s&seed=%d&class=%d&test=1" % (os.path.basename(model_path), seed,
                                                                  max(label, 0)), name)
    if res is None:
        return None
    if "error" in res:
        check(False, "%s: the page failed: %s" % (name, res["error"]))
        return None
    z, px, mid, mid_px = native(model_path, seed, label)
    z = np.asarray(z, np.float32).reshape(-1)
    px = np.asarray(px, np.uint8).reshape(-1)
    wz = floats(res["latent"])
    # The interpolation: gan_latent_interpolate in both (float ops in the
    # same order: equal up to libm's last bit), the images within 1.
    mid = np.asarray(mid, np.float32).reshape(-1)
    wmid = floats(res["mid_latent"])
    mpx = np.asarray(mid_px, np.uint8).reshape(-1).astype(np.int16)
    wmpx = np.frombuffer(base64.b64decode(res["mid_wasm"]), np.uint8).astype(np.int16)
    dz = float(np.abs(wmid - mid).max()) if wmid.shape == mid.shape else float("inf")
    dm = int(np.abs(wmpx - mpx).max()) if wmpx.shape == mpx.shape else 999
    check(dz <= 1e-6 and dm <= 1,
          "%s: the slider's midpoint A -> B (spherical): latent within %.2g of native "
          "gan_latent_interpolate (<= 1e-6), image max |diff| %d (<= 1)" % (name, dz, dm))
    check(wz.shape == z.shape and np.array_equal(wz.view(np.uint32), z.view(np.uint32)),
          "%s: the page's latent at seed %d is the native stream's, bit for bit (%d floats)"
          % (name, seed, z.size))
    wasm = np.frombuffer(base64.b64decode(res["wasm"]), np.uint8)
    shown = np.frombuffer(base64.b64decode(res["canvas"]), np.uint8)
    check(np.array_equal(wasm, shown), "%s: the canvas shows exactly the wasm sampler's %d bytes"
          % (name, wasm.size))
    if wasm.shape != px.shape:
        check(False, "%s: %d bytes from the page, %d native" % (name, wasm.size, px.size))
        return res
    d = np.abs(shown.astype(np.int16) - px.astype(np.int16))
    check(int(d.max()) <= 1 and float(px.std()) > 20.0 and len(np.unique(px)) > 32,
          "%s (%dx%dx%d, class %s): canvas vs native gan_sampler_generate_u8: max |diff| %d "
          "(<= 1), %d of %d pixels differ by 1; native image: std %.1f, %d levels (not flat)"
          % (name, res["info"]["w"], res["info"]["h"], res["info"]["c"],
             res["label"] if res["label"] >= 0 else "-", int(d.max()), int((d > 0).sum()), d.size,
             float(px.std()), len(np.unique(px))))
    return res


def contrast(m, gain=25.0):
    """Scale the last layer with parameters so that a freshly initialised
    generator's images span the whole 0..255 range rather than a few levels
    around 127: a pixel comparison then means something."""
    import numpy as np
    for i in reversed(range(m.num_layers)):
        p = np.asarray(m.get_params(i), np.float32)
        if p.size:
            m.set_params(i, p * np.float32(gain))
            return


def screenshot(server, model_name, query, out_png, width=960, height=600):
    """A screenshot of the page with model_name loaded, reduced to a small PNG."""
    from PIL import Image
    profile = tempfile.mkdtemp(prefix="gan-web-chromium-")
    tmp = os.path.join(profile, "shot.png")
    try:
        r = subprocess.run([chromium()] + CHROMIUM_FLAGS +
                           ["--user-data-dir=" + profile, "--virtual-time-budget=20000",
                            "--window-size=%d,%d" % (width, height), "--screenshot=" + tmp,
                            server.url("model=%s&%s" % (model_name, query))],
                           capture_output=True, timeout=180)
        ok = r.returncode == 0 and os.path.isfile(tmp)
        check(ok, "chromium --screenshot of the page%s"
              % ("" if ok else ": " + r.stderr.decode()[-500:]))
        if not ok:
            return
        img = Image.open(tmp).convert("RGB")
        img.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out_png, optimize=True)
        check(os.path.getsize(out_png) < 200_000, "%s written (%d bytes)" % (out_png, os.path.getsize(out_png)))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("web")
    ap.add_argument("work")
    ap.add_argument("--docs", nargs=2, metavar=("OUT.png", "MODEL.gan"))
    ap.add_argument("--docs-query", default="seed=3&class=9",
                    help="the page's query for the screenshot (seed, class)")
    ap.add_argument("--bench", type=int, default=0)
    ap.add_argument("--models", default="mnist-generator,cgan-generator,dcgan-cifar10-generator,style-generator")
    a = ap.parse_args()
    if chromium() is None:
        print("SKIP: no chromium (apt-get install chromium; scripts/deps.sh installs it)")
        return 77
    for f in ("index.html", "app.js", "gan.js", "gan.wasm"):
        if not os.path.isfile(os.path.join(a.web, f)):
            print("FAIL: %s has no %s: run examples/web/build.sh" % (a.web, f))
            return 1
    import libgan
    shutil.rmtree(a.work, ignore_errors=True)
    root = os.path.join(a.work, "site")
    shutil.copytree(a.web, root, ignore=shutil.ignore_patterns("CMakeFiles", "*.ninja", "*.cmake",
                                                               "CMakeCache.txt", "*.a", "include"))
    server = Server(root)
    try:
        for i, name in enumerate(n for n in a.models.split(",") if n):
            path = os.path.join(root, name + ".gan")
            m = libgan.Model.preset(name)
            contrast(m)
            m.save(path)
            classes = m.num_classes
            label = (3 + i) % classes if classes else -1
            compare(name, path, server, seed=11 + i, label=label)
        if a.bench > 0:
            name = a.models.split(",")[0]
            res = run_page(server, "model=%s.gan&seed=1&test=1&bench=%d" % (name, a.bench),
                           "bench-" + name, timeout=600)
            if res and "bench" in res:
                b = res["bench"]
                print("bench: %s in Chromium (%s), WebAssembly%s: batch 1: median %.3f ms "
                      "(p10 %.3f, p90 %.3f, mean %.3f, n %d); batch 8: median %.3f ms per image"
                      % (name, res["userAgent"].split("Chrome/")[-1].split(" ")[0],
                         " SIMD" if res.get("simd") else " (scalar build)", b["batch1_ms"]["median"],
                         b["batch1_ms"]["p10"], b["batch1_ms"]["p90"], b["batch1_ms"]["mean"],
                         b["batch1_ms"]["n"], b["batch8_ms_per_image"]["median"]))
            else:
                check(False, "the bench run reported no timings: %s" % res)
        if a.docs:
            shutil.copy(a.docs[1], os.path.join(root, "docs-model.gan"))
            screenshot(server, "docs-model.gan", a.docs_query, a.docs[0])
    finally:
        server.close()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all web checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
