"""Model: building layer by layer, shapes, summaries, forward/backward, params."""

import numpy as np
import pytest

import libgan


def notebook_discriminator(dropout_rate=0.3):
    """The second notebook's build_discriminator, layer by layer."""
    d = libgan.Model((28, 28, 1))
    (d.add_conv2d(64, (5, 5), strides=(2, 2), padding="same")
      .add_leaky_relu()
      .add_dropout(dropout_rate)
      .add_conv2d(128, (5, 5), strides=(2, 2), padding="same")
      .add_leaky_relu()
      .add_flatten()
      .add_dense(1))
    return d


def test_version_and_presets():
    assert libgan.version_number() // 1000000 == 1
    assert libgan.version().startswith("1.")
    names = libgan.preset_names()
    assert "mnist-generator" in names and "wgan-critic" in names
    assert libgan.preset_latent_dim("mnist-generator") == 100
    assert libgan.preset_latent_dim("dcgan-cifar10-generator") == 128
    assert libgan.preset_latent_dim("mnist-discriminator") == 0
    with pytest.raises(libgan.InvalidArgumentError) as e:
        libgan.Model.preset("no-such-preset")
    assert e.value.status == -2 and "no-such-preset" in e.value.message


def test_layer_by_layer_matches_keras_shapes_and_counts():
    d = notebook_discriminator(0.4)
    assert d.input_shape == (28, 28, 1)
    assert [d.shape(i) for i in range(len(d))] == [
        (14, 14, 64), (14, 14, 64), (14, 14, 64), (7, 7, 128), (7, 7, 128), (6272,), (1,)]
    assert d.layer_kinds == ["conv2d", "leaky_relu", "dropout", "conv2d", "leaky_relu",
                             "flatten", "dense"]
    # Keras: 1,664 + 204,928 + 6,273
    assert d.param_count == 212865 == d.trainable_param_count
    assert d.layer_sizes(0) == (5 * 5 * 1 * 64 + 64, 0)
    s = d.summary()
    assert "Total params: 212,865" in s and "conv2d" in s
    d.close()


def test_layer_kind_names_come_from_the_library():
    kinds = libgan.LAYER_KINDS
    assert kinds[1] == "dense" and kinds[3] == "conv2d_transpose" and kinds[18] == "noise_injection"
    assert len(set(kinds.values())) == len(kinds) and 0 not in kinds
    with libgan.Model.preset("mnist-generator") as g:
        assert set(g.layer_kinds) <= set(kinds.values())


def test_upsample():
    m = libgan.Model((2, 3, 1)).add_upsample(2)
    assert m.output_shape == (4, 6, 1) and m.layer_kinds == ["upsample"]
    assert libgan.LAYER_KINDS[19] == "upsample" and m.layer_sizes(0) == (0, 0)
    x = np.arange(2 * 6, dtype=np.float32).reshape(2, 2, 3, 1)
    y = m.forward(x)
    assert np.array_equal(np.asarray(y).reshape(2, 4, 6, 1), x.repeat(2, axis=1).repeat(2, axis=2))
    dx = m.backward(np.ones((2, 4, 6, 1), dtype=np.float32))
    assert np.array_equal(np.asarray(dx).reshape(x.shape), np.full(x.shape, 4.0, np.float32))
    back = libgan.Model.load_bytes(m.to_bytes())
    assert back.layer_kinds == ["upsample"] and back.output_shape == (4, 6, 1)
    with pytest.raises(libgan.InvalidArgumentError, match="factor 0"):
        m.add_upsample(0)
    with pytest.raises(libgan.ShapeError):
        libgan.Model(4).add_upsample(2)
    m.close()
    back.close()


def test_avgpool():
    m = libgan.Model((4, 2, 1)).add_avgpool(2)
    assert m.output_shape == (2, 1, 1) and libgan.LAYER_KINDS[23] == "avgpool"
    x = np.arange(8, dtype=np.float32).reshape(1, 4, 2, 1)
    y = np.asarray(m.forward(x)).reshape(2)
    assert np.allclose(y, [1.5, 5.5])
    with pytest.raises(libgan.ShapeError, match="does not divide"):
        libgan.Model((3, 3, 1)).add_avgpool(2)
    m.close()


def test_residual_blocks():
    kinds = libgan.LAYER_KINDS
    assert (kinds[20], kinds[21], kinds[22]) == ("residual_begin", "residual_add", "residual_conv")
    # Identity block with an empty branch: y = x + x.
    m = libgan.Model((2, 2, 3)).add_residual_begin().add_residual_add()
    x = np.random.default_rng(0).standard_normal((2, 2, 2, 3)).astype(np.float32)
    assert np.allclose(np.asarray(m.forward(x)).reshape(x.shape), 2 * x)
    dx = m.backward(np.ones((2, 2, 2, 3), dtype=np.float32))
    assert np.allclose(np.asarray(dx), 2.0)
    m.close()
    # Up block with a 1x1-conv shortcut: (2, 2, 3) -> (4, 4, 5).
    g = (libgan.Model((2, 2, 3)).add_residual_begin().add_upsample(2)
         .add_conv2d(5, 3, padding="same").add_residual_conv(up=2))
    assert g.output_shape == (4, 4, 5)
    assert g.layer_kinds == ["residual_begin", "upsample", "conv2d", "residual_conv"]
    assert g.layer_sizes(3)[0] == 3 * 5 + 5
    y = np.asarray(g.forward(x))
    back = libgan.Model.load_bytes(g.to_bytes())
    sn = (libgan.Model((2, 2, 3)).add_residual_begin().add_conv2d(4, 1)
          .add_residual_conv(spectral_norm=True))
    assert sn.layer_sizes(2)[1] == 4    # u: one value per output channel
    sn.close()
    assert np.array_equal(np.asarray(back.forward(x)), y)
    with pytest.raises(libgan.InvalidArgumentError, match="no residual block is open"):
        g.add_residual_add()
    with pytest.raises(libgan.InvalidArgumentError, match="at most one"):
        libgan.Model((2, 2, 3)).add_residual_begin().add_residual_add(2, 2)
    g.close()
    back.close()


def test_class_affine_and_resnet_presets():
    m = libgan.Model((2, 2, 3)).add_batchnorm().add_class_affine(4)
    assert m.layer_kinds == ["batchnorm", "class_affine"] and libgan.LAYER_KINDS[24] == "class_affine"
    assert m.layer_sizes(1)[0] == 2 * 4 * 3
    for name, n in (("resnet-generator", 513665), ("resnet-discriminator", 141089),
                    ("resnet-cgan-generator", 518785), ("resnet-cgan-discriminator", 141729)):
        with libgan.Model.preset(name) as g:
            assert g.param_count == n
    m.close()


def test_presets_param_counts():
    with libgan.Model.preset("mnist-generator") as g:
        assert g.input_shape == (100,) and g.output_shape == (28, 28, 1)
        assert g.param_count == 2330944
        assert g.trainable_param_count == 2305472
    with libgan.Model.preset("mnist-notebook-generator") as g:
        assert g.output_shape == (14, 14, 1)


def test_dense_forward_matches_numpy():
    m = libgan.Model(5).add_dense(3)
    w = np.arange(15, dtype=np.float32).reshape(5, 3) / 10
    b = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    m.set_params(0, np.concatenate([w.ravel(), b]))
    x = np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)
    y = m.forward(x)
    assert y.shape == (2, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6, atol=1e-6)
    # backward: dy -> dx = dy W^T, dW = x^T dy, db = sum dy
    dy = np.ones((2, 3), dtype=np.float32)
    dx = m.backward(dy)
    np.testing.assert_allclose(dx, dy @ w.T, rtol=1e-6)
    grads = m.get_grads(0)
    np.testing.assert_allclose(grads[:15].reshape(5, 3), x.T @ dy, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads[15:], dy.sum(0), rtol=1e-6)
    m.zero_grad()
    assert not m.get_grads(0).any()
    assert m.backward(dy, return_dx=False) is None


def test_activations_match_numpy():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(2, 6)
    for add, ref in (("add_relu", lambda v: np.maximum(v, 0)),
                     ("add_tanh", np.tanh),
                     ("add_sigmoid", lambda v: 1 / (1 + np.exp(-v)))):
        m = libgan.Model(6)
        getattr(m, add)()
        np.testing.assert_allclose(m.forward(x), ref(x), rtol=1e-5, atol=1e-6)
    m = libgan.Model(6).add_leaky_relu()  # Keras' alpha 0.3
    np.testing.assert_allclose(m.forward(x), np.where(x > 0, x, 0.3 * x), rtol=1e-6)


def test_conv_padding_and_reshape():
    m = libgan.Model((8, 8, 2)).add_conv2d(4, 3)            # valid
    assert m.output_shape == (6, 6, 4)
    m = libgan.Model((8, 8, 2)).add_conv2d(4, 3, strides=2, padding="SAME")
    assert m.output_shape == (4, 4, 4)
    m = libgan.Model((4, 4, 3)).add_conv2d_transpose(2, 5, strides=2, padding="same",
                                                       use_bias=False)
    assert m.output_shape == (8, 8, 2) and m.param_count == 5 * 5 * 2 * 3
    m = libgan.Model(12).add_reshape((2, 2, 3)).add_batchnorm().add_flatten()
    assert m.output_shape == (12,)
    assert m.layer_sizes(1) == (6, 6)
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Model((4, 4, 1)).add_conv2d(2, 3, padding="full")


def test_params_and_state_roundtrip():
    m = libgan.Model(4).add_dense(3).add_batchnorm(momentum=0.5)
    p = m.get_params(0)
    assert p.shape == (15,)
    m.set_params(0, p * 2)
    np.testing.assert_array_equal(m.get_params(0), p * 2)
    st = m.get_state(1)
    np.testing.assert_array_equal(st, [0, 0, 0, 1, 1, 1])
    m.set_state(1, np.array([1, 2, 3, 4, 5, 6], dtype=np.float32))
    np.testing.assert_array_equal(m.get_state(1), [1, 2, 3, 4, 5, 6])
    with pytest.raises(libgan.NumericError) as e:
        m.set_params(0, np.full(15, np.nan, dtype=np.float32))
    assert e.value.status == -8
    np.testing.assert_array_equal(m.get_params(0), p * 2)   # unchanged
    with pytest.raises(libgan.ShapeError):
        m.set_params(0, np.zeros(14, dtype=np.float32))
    with pytest.raises(libgan.InvalidArgumentError):
        m.get_params(7)
    w = m.get_weights()
    assert [len(x) for x in w] == [15, 6]
    m.set_weights(w)


def test_init_params_seeds_and_dropout_seed():
    a = libgan.Model.preset("mnist-discriminator")
    b = libgan.Model.preset("mnist-discriminator")
    np.testing.assert_array_equal(a.get_params(0), b.get_params(0))
    b.init_params(5)
    assert not np.array_equal(a.get_params(0), b.get_params(0))
    a.init_params(5)
    np.testing.assert_array_equal(a.get_params(0), b.get_params(0))
    x = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    a.set_seed(1)
    y1 = a.forward(x, training=True)
    a.set_seed(1)
    y2 = a.forward(x, training=True)
    np.testing.assert_array_equal(y1, y2)
    y3 = a.forward(x)
    assert not np.array_equal(y1, y3)


def test_trainable_flags_and_output():
    m = libgan.Model(4).add_dense(3).add_dense(2)
    m.set_trainable(False, layer=0)
    assert m.trainable_param_count == 2 * 3 + 2
    m.set_trainable(True)
    assert m.trainable_param_count == m.param_count
    x = np.ones((5, 4), dtype=np.float32)
    y = m.forward(x)
    np.testing.assert_array_equal(m.output(), y)
    m.reserve(64)
    assert m(x).shape == (5, 2)


def test_error_carries_library_message():
    m = libgan.Model((28, 28, 1))
    with pytest.raises(libgan.ShapeError) as e:
        m.add_dense(10)
    assert e.value.status == -3
    assert "flatten" in e.value.message        # gan_last_error()'s text
    assert "GAN_ESHAPE" in str(e.value)
    with pytest.raises(libgan.StateError):
        m.forward(np.zeros((1, 28, 28, 1), dtype=np.float32))   # no layers yet
    assert libgan.status_str(-3).startswith("GAN_ESHAPE")
    libgan.clear_error()
    assert libgan.last_error() == ""
