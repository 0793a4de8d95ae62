#!/usr/bin/python3
"""torch_ref.py -- the seed workloads in PyTorch, timed like bench_gan.

    /usr/bin/python3 bench/torch_ref.py --what train|sample --workload cifar|mnist
                                        [--batch 64] [--reps 30] [--warmup 5] [--threads 2]

The same networks as libgan's presets (Keras' layers and 'same' padding:
where Keras pads asymmetrically -- even kernels, or odd kernels at stride 2
on even inputs -- explicit padding or a crop gives the same shapes and the
same alignment), and the same training step as gan_trainer_step: one G
forward, D on the real and the fake batch (one D forward each), D's
gradients from the D loss, G's gradients from the G loss through D (D's
weights not differentiated there), then Adam on both.  Sampling is the
generator in eval mode under torch.inference_mode().

Prints RESULT lines in bench_gan's format, then the process's peak RSS.
Needs Debian's python3-torch (apt-get install python3-torch), run with
/usr/bin/python3.

PyTorch's best configuration here (the default): convolutions through
oneDNN (torch.backends.mkldnn), and every transposed convolution run as
the adjoint of a oneDNN convolution (--ct-impl adjoint: forward =
aten::convolution_backward for the input, backward = aten::convolution
and the weight gradient), because torch 1.13 otherwise runs
ConvTranspose2d as slow_conv_transpose2d, a per-image GEMM + col2im loop
(--ct-impl native).  OMP_NUM_THREADS is set to --threads before torch
loads.  bench/compare.sh also gives it OPENBLAS_CORETYPE=SkylakeX on
AVX-512 CPUs (its dense layers use the system BLAS).
"""
import argparse
import os
import resource
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--what", choices=["train", "sample"], required=True)
    p.add_argument("--workload", choices=["cifar", "mnist"], required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--channels-last", action="store_true",
                   help="run the networks in channels_last (NHWC) memory format")
    p.add_argument("--ct-impl", choices=["adjoint", "native"], default="adjoint",
                   help="adjoint (default, fastest): transposed convolutions as the adjoint of a "
                        "oneDNN convolution; native: nn.ConvTranspose2d")
    return p.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # Thread counts must be in the environment before torch (and OpenMP) load.
    os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("torch_ref.py: PyTorch is not installed for /usr/bin/python3.\n"
                     "  Install it with: apt-get install -y python3-torch\n"
                     "  (or: GAN_DEPS_BENCH=1 bash scripts/deps.sh)\n")
    sys.exit(3)

LRELU = 0.3  # keras.layers.LeakyReLU() default


class _AdjointConvT(torch.autograd.Function):
    """y = conv_transpose2d(x, w) computed as the input gradient of the
    convolution y -> x with the same weights (what a transposed convolution
    is), so that forward, input gradient and weight gradient all run
    through oneDNN instead of slow_conv_transpose2d."""

    @staticmethod
    def forward(ctx, x, w, stride, pad):
        b, _, h, wd = x.shape
        k, cout = w.shape[2], w.shape[1]
        shape_only = torch.empty(b, cout, (h - 1) * stride - 2 * pad + k, (wd - 1) * stride - 2 * pad + k)
        y = torch.ops.aten.convolution_backward(x, shape_only, w, None, [stride, stride], [pad, pad], [1, 1],
                                                False, [0, 0], 1, [True, False, False])[0]
        ctx.save_for_backward(x, w)
        ctx.cfg = (stride, pad)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        stride, pad = ctx.cfg
        dx = dw = None
        if ctx.needs_input_grad[0]:
            dx = torch.ops.aten.convolution(gy, w, None, [stride, stride], [pad, pad], [1, 1], False, [0, 0], 1)
        if ctx.needs_input_grad[1]:
            dw = torch.ops.aten.convolution_backward(x, gy, w, None, [stride, stride], [pad, pad], [1, 1], False,
                                                     [0, 0], 1, [False, True, False])[1]
        return dx, dw, None, None


class AdjointConvT(nn.Module):
    """nn.ConvTranspose2d's parameters (no bias, no output padding), run by
    _AdjointConvT."""

    def __init__(self, ct):
        super().__init__()
        assert ct.bias is None and ct.output_padding == (0, 0)
        self.weight = ct.weight
        self.stride, self.pad = ct.stride[0], ct.padding[0]

    def forward(self, x):
        return _AdjointConvT.apply(x, self.weight, self.stride, self.pad)


CT_IMPL = "adjoint"


class DeconvSame(nn.Module):
    """Keras Conv2DTranspose(padding='same', use_bias=False): out = in * s.
    Keras pads (k - s) in total, the smaller half first; PyTorch pads
    symmetrically, so pad the leading amount on both sides and crop."""

    def __init__(self, cin, cout, k, s):
        super().__init__()
        total = max(k - s, 0)
        self.lead = total // 2
        self.s = s
        self.conv = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=self.lead, bias=False)
        if CT_IMPL == "adjoint":
            self.conv = AdjointConvT(self.conv)

    def forward(self, x):
        h, w = x.shape[2] * self.s, x.shape[3] * self.s
        y = self.conv(x)
        if y.shape[2] != h or y.shape[3] != w:
            y = y[:, :, :h, :w]
        return y


class ConvSame(nn.Module):
    """Keras Conv2D(padding='same', stride s): explicit asymmetric padding."""

    def __init__(self, cin, cout, k, s, hin):
        super().__init__()
        out = (hin + s - 1) // s
        total = max((out - 1) * s + k - hin, 0)
        a, b = total // 2, total - total // 2
        if a == b:
            self.pad = None
            self.conv = nn.Conv2d(cin, cout, k, stride=s, padding=a)
        else:
            self.pad = (a, b, a, b)
            self.conv = nn.Conv2d(cin, cout, k, stride=s, padding=0)

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return self.conv(x)


class Reshape(nn.Module):
    def __init__(self, c, h, w):
        super().__init__()
        self.shape = (c, h, w)

    def forward(self, x):
        return x.view(x.shape[0], *self.shape)


def generator(workload):
    if workload == "cifar":
        latent, h, c = 128, 4, 512
        blocks = [(512, 256, 4, 2), (256, 128, 4, 2), (128, 64, 4, 2)]
        last = (64, 3, 4, 1)
    else:
        latent, h, c = 100, 7, 256
        blocks = [(256, 128, 5, 1), (128, 64, 5, 2)]
        last = (64, 1, 5, 2)
    layers = [nn.Linear(latent, h * h * c, bias=False), nn.BatchNorm1d(h * h * c, eps=1e-3),
              nn.LeakyReLU(LRELU), Reshape(c, h, h)]
    for cin, cout, k, s in blocks:
        layers += [DeconvSame(cin, cout, k, s), nn.BatchNorm2d(cout, eps=1e-3), nn.LeakyReLU(LRELU)]
    layers += [DeconvSame(*last), nn.Tanh()]
    return nn.Sequential(*layers), latent


def discriminator(workload):
    if workload == "cifar":
        cin, hin, k, chans = 3, 32, 4, [64, 128, 256]
    else:
        cin, hin, k, chans = 1, 28, 5, [64, 128]
    layers = []
    for c in chans:
        layers += [ConvSame(cin, c, k, 2, hin), nn.LeakyReLU(LRELU), nn.Dropout(0.3)]
        cin, hin = c, (hin + 1) // 2
    layers += [nn.Flatten(), nn.Linear(cin * hin * hin, 1)]
    return nn.Sequential(*layers), (1 if workload == "mnist" else 3, 28 if workload == "mnist" else 32)


def macs(model, x):
    """Multiply-adds of one forward pass per sample (dense, conv, deconv)."""
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features
        elif isinstance(mod, nn.Conv2d):
            total[0] += out.shape[2] * out.shape[3] * mod.weight.numel()
        elif isinstance(mod, (nn.ConvTranspose2d, AdjointConvT)):
            total[0] += inp[0].shape[2] * inp[0].shape[3] * mod.weight.numel()

    hs = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()
        model(x[:1])
        model.train()
    for h in hs:
        h.remove()
    return total[0]


def report(what, workload, batch, times, flops_per_img):
    t = sorted(times)
    q = statistics.quantiles(t, n=4, method="inclusive") if len(t) > 1 else [t[0]] * 3
    med = statistics.median(t)
    ips = batch / med
    print(f"RESULT impl=pytorch what={what} workload={workload} batch={batch} "
          f"median_ms={1e3 * med:.3f} min_ms={1e3 * t[0]:.3f} max_ms={1e3 * t[-1]:.3f} "
          f"q1_ms={1e3 * q[0]:.3f} q3_ms={1e3 * q[2]:.3f} img_s={ips:.1f} "
          f"gflop_s={ips * flops_per_img * 1e-9:.1f} gflop_per_img={flops_per_img * 1e-9:.4f}",
          flush=True)


def bench_train(a):
    g, latent = generator(a.workload)
    d, (c, hw) = discriminator(a.workload)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(a.batch, c, hw, hw) * 2 - 1
    if a.channels_last:
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
        real = real.contiguous(memory_format=torch.channels_last)
    ones = torch.ones(a.batch, 1)
    zeros = torch.zeros(a.batch, 1)
    gp, dp = list(g.parameters()), list(d.parameters())
    mg = macs(g, torch.randn(2, latent))
    md = macs(d, real[:2])
    # per sample: G fwd + dW + dX (the same count as bench_gan: first-layer
    # dX skipped); D: 2 fwd, 2 dW, 2 dX, 1 dX -- first layer dX only once.
    flops = 2 * (3 * mg) + 2 * (7 * md)  # upper bound, corrected below
    first_g = g[0].in_features * g[0].out_features
    first_d = None
    for m in d.modules():
        if isinstance(m, nn.Conv2d):
            first_d = m
            break
    first_d_macs = (hw // 2) * (hw // 2) * first_d.weight.numel()
    flops -= 2 * first_g + 2 * 2 * first_d_macs

    def step():
        z = torch.randn(a.batch, latent)
        fake = g(z)
        d_real = d(real)
        d_fake = d(fake)
        d_loss = bce(d_real, ones) + bce(d_fake, zeros)
        g_loss = bce(d_fake, ones)
        grads_d = torch.autograd.grad(d_loss, dp, retain_graph=True)
        grads_g = torch.autograd.grad(g_loss, gp)
        for p, gr in zip(dp, grads_d):
            p.grad = gr
        for p, gr in zip(gp, grads_g):
            p.grad = gr
        opt_d.step()
        opt_g.step()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    report("train", a.workload, a.batch, times, flops)


def bench_sample(a):
    g, latent = generator(a.workload)
    if a.channels_last:
        g = g.to(memory_format=torch.channels_last)
    g.eval()
    z = torch.randn(a.batch, latent)
    flops = 2 * macs(g, z)
    g.eval()
    reps = a.reps * 4 if a.batch == 1 else a.reps
    times = []
    with torch.inference_mode():
        for i in range(a.warmup + reps):
            t0 = time.perf_counter()
            g(z)
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
    report("sample", a.workload, a.batch, times, flops)


def main():
    global CT_IMPL
    a = ARGS
    CT_IMPL = a.ct_impl
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.what == "train":
        bench_train(a)
    else:
        bench_sample(a)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"RESULT impl=pytorch what=rss-{a.what} workload={a.workload} batch={a.batch} "
          f"peak_rss_mib={rss:.1f}", flush=True)
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, ct-impl {a.ct_impl}, "
          f"mkldnn {torch.backends.mkldnn.enabled}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}, "
          f"{torch.__config__.parallel_info().splitlines()[0] if hasattr(torch, '__config__') else ''}",
          flush=True)


if __name__ == "__main__":
    main()
