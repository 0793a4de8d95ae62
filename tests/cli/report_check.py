#!/usr/bin/python3
"""report_check.py -- check a `gan report` page.

  report_check.py html RUN_DIR REPORT.html
      the page's structure: the four charts with their curves, one embedded
      image per sample grid (byte for byte), the settings, nothing that
      would touch the network (no script, no external URL).
  report_check.py browser RUN_DIR REPORT.html SCREENSHOT.png [--docs OUT.png]
      open the page in headless Chromium: its DOM (--dump-dom) has the
      curves and images, and a screenshot shows every curve's colour and
      every sample grid, pixel for pixel, inside its frame.  --docs also
      writes a small palette PNG of the top of the page (docs/).
Exit 0 when everything holds; otherwise the failures are printed.
"""

import base64
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The reserved colours of tools/gan/report_html.c.
SERIES = {"D loss": (0xd6, 0x27, 0x28), "G loss": (0x1f, 0x77, 0xb4),
          "D(real)": (0x2c, 0xa0, 0x2c), "D(fake)": (0xff, 0x7f, 0x0e),
          "FID": (0x94, 0x67, 0xbd), "IS": (0x8c, 0x56, 0x4b)}
FRAME = (0x17, 0xbe, 0xcf)
CHARTS = {"losses": ("D loss", "G loss"), "d-outputs": ("D(real)", "D(fake)"),
          "fid": ("FID",), "is": ("IS",)}

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


class Page(html.parser.HTMLParser):
    """The elements the checks need, from the page or Chromium's DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paths = []        # (chart id, data-name, number of points)
        self.imgs = []         # (alt, src)
        self.svgs = 0
        self.figure = None
        self.scripts = 0
        self.external = []
        self.csp = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in ("src", "href", "action", "data") and v and re.match(r"(?i)\s*(https?:|//|ftp:)", v):
                self.external.append("%s %s=%s" % (tag, k, v[:60]))
        if tag == "script":
            self.scripts += 1
        elif tag == "link" or tag == "iframe" or tag == "object" or tag == "embed":
            self.external.append(tag)
        elif tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content", "")
        elif tag == "figure" and "chart" in (a.get("class") or ""):
            self.figure = a.get("id")
        elif tag == "svg":
            self.svgs += 1
        elif tag == "path" and "series" in (a.get("class") or ""):
            self.paths.append((self.figure, a.get("data-name"), len(re.findall(r"[ML]", a.get("d", "")))))
        elif tag == "img":
            self.imgs.append((a.get("alt"), a.get("src", ""), a.get("class")))

    def handle_data(self, data):
        self.text.append(data)


def parse(text):
    p = Page()
    p.feed(text)
    return p


def grids(run):
    d = os.path.join(run, "samples")
    return sorted(f for f in os.listdir(d) if f.endswith(".png")) if os.path.isdir(d) else []


def check_structure(p, run, where):
    metrics = os.path.isfile(os.path.join(run, "metrics.csv"))
    for chart, names in CHARTS.items():
        if chart in ("fid", "is") and not metrics:
            continue
        for name in names:
            pts = [n for c, nm, n in p.paths if c == chart and nm == name]
            check(pts and max(pts) >= 2, "%s: chart %s has the curve %s (%s points)"
                  % (where, chart, name, pts))
    want = 4 if metrics else 2
    check(p.svgs >= want, "%s: %d inline SVG charts (>= %d)" % (where, p.svgs, want))
    names = grids(run)
    imgs = [(alt, src) for alt, src, cls in p.imgs if cls == "grid"]
    check([alt for alt, _ in imgs] == names,
          "%s: one embedded image per sample grid %s (found %s)" % (where, names, [a for a, _ in imgs]))
    for alt, src in imgs:
        ok = src.startswith("data:image/png;base64,")
        if ok and alt in names:
            with open(os.path.join(run, "samples", alt), "rb") as f:
                ok = base64.b64decode(src.split(",", 1)[1]) == f.read()
        check(ok, "%s: %s is embedded as a data: URI of the PNG's exact bytes" % (where, alt))
    check(p.scripts == 0, "%s: no script" % where)
    check(not p.external, "%s: no external resource (%s)" % (where, p.external))
    text = " ".join(p.text)
    preset = "?"
    with open(os.path.join(run, "run.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("preset ="):
                preset = line.split("=", 1)[1].strip()
    check("preset" in text and preset in text, "%s: the settings of run.txt (preset %s)"
          % (where, preset))
    check("Epochs and timings" in text and "img/s" in text, "%s: the timings" % where)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def run_chromium(args, profile):
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--user-data-dir=" + profile] + args
    return subprocess.run(cmd, capture_output=True, timeout=180)


def browser(run, report, shot, docs=None):
    import numpy as np
    from PIL import Image
    from scipy import ndimage

    url = "file://" + os.path.abspath(report)
    profile = tempfile.mkdtemp(prefix="gan-chromium-")
    try:
        r = run_chromium(["--dump-dom", url], profile)
        check(r.returncode == 0, "chromium --dump-dom exits 0%s"
              % ("" if r.returncode == 0 else ": " + r.stderr.decode()[-500:]))
        check_structure(parse(r.stdout.decode("utf-8", "replace")), run, "chromium's DOM")
        r = run_chromium(["--window-size=1280,3200", "--screenshot=" + os.path.abspath(shot), url],
                         profile)
        good = r.returncode == 0 and os.path.isfile(shot)
        check(good, "chromium --screenshot wrote %s%s"
              % (shot, "" if good else ": " + r.stderr.decode()[-500:]))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if failures:
        return
    img = np.asarray(Image.open(shot).convert("RGB")).astype(np.int16)
    metrics = os.path.isfile(os.path.join(run, "metrics.csv"))

    def near(color, tol=10):
        return (np.abs(img - np.array(color, np.int16)) <= tol).all(axis=2)

    for name, color in SERIES.items():
        if name in ("FID", "IS") and not metrics:
            continue
        n = int(near(color).sum())
        check(n >= 150, "screenshot: %d pixels of %s's colour #%02x%02x%02x (>= 150)"
              % (n, name, *color))
    # Each sample grid inside its frame, as the PNG scaled by a whole factor.
    labels, count = ndimage.label(near(FRAME, 6))
    frames = []
    for sl in ndimage.find_objects(labels):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if h > 40 and w > 40:
            frames.append(sl)
    frames.sort(key=lambda s: (s[0].start // 50, s[1].start))
    names = grids(run)
    check(len(frames) == len(names), "screenshot: %d framed images for %d grids"
          % (len(frames), len(names)))
    for sl, name in zip(frames, names):
        inner = img[sl[0].start + 3:sl[0].stop - 3, sl[1].start + 3:sl[1].stop - 3]
        png = np.asarray(Image.open(os.path.join(run, "samples", name)).convert("RGB")).astype(np.int16)
        fy, fx = inner.shape[0] / png.shape[0], inner.shape[1] / png.shape[1]
        ok = abs(fy - round(fy)) < 1e-6 and fy == fx and fy >= 1
        diff = None
        if ok:
            k = int(round(fy))
            diff = float(np.abs(inner - png.repeat(k, 0).repeat(k, 1)).mean())
            ok = diff < 3.0 and float(inner.std()) > 5.0
        check(ok, "screenshot: %s shown at x%.2f, mean difference %s, not blank"
              % (name, fy, "%.2f" % diff if diff is not None else "-"))
    if docs and not failures:
        top = Image.open(shot).convert("RGB")
        bottom = max(sl[0].stop for sl in frames) + 40 if frames else 1400
        top = top.crop((0, 0, min(top.width, 1240), min(top.height, bottom)))
        top = top.resize((top.width * 3 // 4, top.height * 3 // 4), Image.LANCZOS)
        top.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(docs, optimize=True)
        print("docs screenshot: %s (%d bytes)" % (docs, os.path.getsize(docs)))


def main(argv):
    if len(argv) < 4 or argv[1] not in ("html", "browser"):
        print(__doc__)
        return 2
    run, report = argv[2], argv[3]
    with open(report, encoding="utf-8") as f:
        page = f.read()
    if argv[1] == "html":
        p = parse(page)
        check_structure(p, run, "report.html")
        check(p.csp is not None and "default-src 'none'" in p.csp,
              "a Content-Security-Policy forbids every fetch (%s)" % p.csp)
    else:
        if chromium() is None:
            print("SKIP: no chromium (apt-get install chromium)")
            return 77
        docs = argv[argv.index("--docs") + 1] if "--docs" in argv else None
        browser(run, report, argv[4], docs)
    print("%d check(s) failed" % len(failures) if failures else "report: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
