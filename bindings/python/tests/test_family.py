"""Networks for any image size (Model.family) and class names in models
and their files (issue 15), end to end from a folder of PNG sprites."""

import os

import numpy as np
import pytest

import libgan
from libgan import Model


def test_family_shapes_every_kind():
    for size in (8, 12, 16, 24, 28, 48, 64):
        for ch in (1, 3, 4):
            g, d = Model.family_pair(size=size, channels=ch, width=4, max_width=8, latent=6)
            assert g.input_shape == (6,)
            assert g.output_shape == (size, size, ch)
            assert d.input_shape == (size, size, ch)
            assert d.output_shape == (1,)
            g.close()
            d.close()


def test_family_refusals_name_the_setting():
    with pytest.raises(libgan.InvalidArgumentError, match="size 36"):
        Model.family("generator", size=36)
    with pytest.raises(libgan.InvalidArgumentError, match="channels 5"):
        Model.family("discriminator", channels=5)
    with pytest.raises(libgan.InvalidArgumentError, match="'critic'"):
        Model.family("critic")


def test_residual_and_style_families():
    """Issue 21's networks at any size: shapes, the conditional layers, the
    discriminator options, and the 28x28 presets as family members."""
    for size in (8, 20, 32, 64):
        for ch in (1, 4):
            for arch in ("resnet", "style2"):
                g, d = Model.family_pair(size=size, channels=ch, width=4, max_width=8, latent=6,
                                         generator=arch, discriminator="resnet")
                assert g.input_shape == (6,) and g.output_shape == (size, size, ch)
                assert d.input_shape == (size, size, ch) and d.output_shape == (1,)
                x = np.random.default_rng(size).standard_normal((3, 6)).astype(np.float32)
                img = g.forward(x)
                assert img.shape == (3, size, size, ch) and np.abs(img).max() <= 1.0
                assert d.forward(img).shape == (3, 1)
                g.close()
                d.close()
    # conditional: class-conditional batchnorm in the residual G, the
    # embedding in the style G, projection + class logits in D
    g, d = Model.family_pair(size=16, channels=3, width=4, max_width=8, latent=5, classes=4,
                             aux_classifier=True, minibatch_stddev=True, generator="resnet",
                             discriminator="resnet")
    kinds = g.layer_kinds
    assert kinds.count("class_affine") == 5 and g.num_classes == 4
    kinds = d.layer_kinds
    assert "minibatch_stddev" in kinds and d.output_shape == (5,)
    labels = np.array([0, 3], np.int32)
    assert g.forward(np.zeros((2, 5), np.float32), labels=labels).shape == (2, 16, 16, 3)
    s = Model.family("style2-generator", size=16, width=4, max_width=8, latent=5, classes=4)
    assert s.layer_kinds[0] == "class_embedding"
    # the 28x28 presets measured in docs/stabilisation.md are family members
    for kind, width, max_width, preset in (
            ("resnet-generator", 64, 128, "resnet-wide-generator"),
            ("resnet-discriminator", 32, 64, "resnet-discriminator"),
            ("style2-generator", 64, 128, "style2-wide-generator")):
        f = Model.family(kind, size=28, channels=1, width=width, max_width=max_width)
        p = Model.preset(preset)
        f.init_params(3)
        p.init_params(3)
        assert f.layer_kinds == p.layer_kinds
        x = np.random.default_rng(1).uniform(-1, 1, (2,) + f.input_shape).astype(np.float32)
        np.testing.assert_array_equal(f.forward(x), p.forward(x))
    with pytest.raises(libgan.InvalidArgumentError, match="aux_classifier needs classes"):
        Model.family("resnet-discriminator", aux_classifier=True)
    with pytest.raises(libgan.InvalidArgumentError, match="generator must be"):
        Model.family_pair(generator="vit")


def test_class_names_round_trip(tmp_path):
    g = Model.family("generator", size=8, width=2, max_width=4, latent=4, classes=3)
    assert g.num_classes == 3 and g.class_names == []
    g.class_names = ["cat", "tree", "\u00e9t\u00e9"]
    assert g.class_names == ["cat", "tree", "\u00e9t\u00e9"]
    assert g.class_index("tree") == 1
    with pytest.raises(libgan.InvalidArgumentError, match="no class named 'dog'"):
        g.class_index("dog")
    with pytest.raises(libgan.InvalidArgumentError, match="2 names for a model of 3"):
        g.class_names = ["a", "b"]
    with pytest.raises(libgan.InvalidArgumentError, match="both 'a'"):
        g.class_names = ["a", "b", "a"]
    assert g.class_names == ["cat", "tree", "\u00e9t\u00e9"]
    path = str(tmp_path / "g.gan")
    g.save(path)
    back = Model.load(path)
    assert back.class_names == g.class_names
    assert "classes: 0 cat, 1 tree" in libgan.file_info(path)
    g.class_names = []
    assert g.class_names == []


def _disc_folder(root, n=24):
    """Three class folders of RGBA discs (red, green, blue), 16x16 PNGs."""
    yy, xx = np.mgrid[0:16, 0:16] + 0.5
    for name, col in (("red", (230, 40, 40)), ("green", (40, 200, 60)), ("blue", (50, 80, 230))):
        os.makedirs(os.path.join(root, name))
        for i in range(n):
            r = 4 + (i % 4)
            inside = (xx - 8) ** 2 + (yy - 8) ** 2 <= r * r
            img = np.zeros((1, 16, 16, 4), np.uint8)
            img[0][inside] = col + (255,)
            libgan.write_png_grid(os.path.join(root, name, "%02d.png" % i), img, cols=1, pad=0)


def test_train_from_a_folder_with_named_classes(tmp_path):
    _disc_folder(str(tmp_path / "sprites"))
    ds = libgan.load_images(str(tmp_path / "sprites"), size=16, channels=4, labels="folders")
    assert ds.class_names == ["blue", "green", "red"]
    g, d = Model.family_pair(size=16, channels=4, width=8, max_width=16, latent=16,
                             classes=len(ds.class_names), spectral_norm=True)
    g.class_names = d.class_names = ds.class_names
    ds.set_batching(batch_size=24, seed=1)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-3, beta1=0.0, beta2=0.9),
                       libgan.Adam(d, lr=1e-3, beta1=0.0, beta2=0.9), libgan.Loss("hinge"))
    t.fit(ds, epochs=2)
    ckpt = str(tmp_path / "ckpt.gan")
    t.save(ckpt)
    t2 = libgan.Trainer.load(ckpt)
    assert t2.generator.class_names == ["blue", "green", "red"]
    s = libgan.Sampler(t2.generator, seed=3)
    img = s.generate_u8(4, labels=t2.generator.class_index("green"))
    assert img.shape == (4, 16, 16, 4)


def test_augmentation_and_ada_resume_exactly(tmp_path):
    _disc_folder(str(tmp_path / "s"), n=8)
    ds = libgan.load_images(str(tmp_path / "s"), size=16, channels=4, labels="none")
    ds.set_batching(batch_size=8, seed=2)

    def make():
        g, d = Model.family_pair(size=16, channels=4, width=4, max_width=8, latent=8,
                                 spectral_norm=True)
        return libgan.Trainer(g, d, libgan.Adam(g, lr=1e-3), libgan.Adam(d, lr=1e-3),
                              libgan.Loss("hinge"), seed=5, augment=["color", "cutout"],
                              ada_target=0.6, ada_interval=1, ada_speed=100.0)

    t = make()
    assert t.augment_state == (0.0, 0.0)
    t.fit(ds, epochs=1)
    path = str(tmp_path / "c.gan")
    t.save(path, ds)
    t.fit(ds, epochs=1)
    t2 = libgan.Trainer.load(path, ds)
    t2.fit(ds, epochs=1)
    assert t.augment_state == t2.augment_state
    assert t.augment_state[0] != 0.0 or t.augment_state[1] <= 0.6
    with pytest.raises(libgan.InvalidArgumentError, match="'blur'"):
        libgan.Trainer(t.generator, t.discriminator, t.g_opt, t.d_opt, t.loss, augment=["blur"])
