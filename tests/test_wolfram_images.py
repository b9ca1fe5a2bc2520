"""Reference A2.5: a net whose Input is NetEncoder("Image", ...) takes PIL images; other nets refuse them."""

import re

import numpy as np
import pytest

from convlayers.wolfram import ConvolutionLayer, NetChain, NetEncoder, NetInitialize, PoolingLayer, Ramp

Image = pytest.importorskip("PIL.Image", reason="PIL (Pillow) is optional; the image encoder needs it")


def _image(mode="RGB", size=(5, 3)):
    """A ``size = (w, h)`` image whose pixels differ per row, column and channel."""
    h, w = size[1], size[0]
    pixels = (np.arange(h * w * 3).reshape(h, w, 3) * 7 % 256).astype("uint8")
    return Image.fromarray(pixels if mode == "RGB" else pixels[..., 0], mode)


def test_rgb_image_becomes_channels_first_rows_top_to_bottom_in_0_1():
    image = _image()
    # A 1x1 convolution passing every channel through shows the encoded array itself.
    layer = ConvolutionLayer(3, 1, Weights=np.eye(3).reshape(3, 3, 1, 1), Biases=None, Input=NetEncoder("Image", (5, 3)))
    expected = np.asarray(image, "float32").transpose(2, 0, 1) / 255
    np.testing.assert_allclose(layer(image), expected, rtol=1e-6)
    np.testing.assert_allclose(layer([image, image]), np.stack([expected, expected]), rtol=1e-6)


def test_grayscale_interleaved_and_resized_to_the_encoders_width_and_height():
    encoder = NetEncoder("Image", (4, 6), ColorSpace="Grayscale", Interleaving=True)
    assert encoder.dims == (6, 4, 1)
    image = _image(size=(8, 12))
    expected = np.asarray(image.convert("L").resize((4, 6), Image.Resampling.BILINEAR), "float32")[..., None] / 255
    np.testing.assert_allclose(encoder.encode(image), expected, rtol=1e-6)
    layer = ConvolutionLayer(1, 1, Weights=np.ones((1, 1, 1, 1)), Biases=None, Interleaving=True, Input=encoder)
    np.testing.assert_allclose(layer(image), expected, rtol=1e-6)


def test_a_chain_with_an_image_encoder_takes_images():
    chain = NetInitialize(NetChain([ConvolutionLayer(4, 3), Ramp, PoolingLayer(2, 2)], Input=NetEncoder("Image", (8, 6))))
    assert chain.input_dims == (3, 6, 8)
    assert chain(_image(size=(20, 10))).shape == (4, 2, 3)
    # Arrays still go in as arrays.
    assert chain(np.zeros((3, 6, 8))).shape == (4, 2, 3)


def test_a_net_without_an_encoder_refuses_an_image():
    layer = NetInitialize(ConvolutionLayer(2, 1, Input=(3, 3, 5)))
    with pytest.raises(ValueError, match=re.escape(
        "Data provided to port \"Input\" should be a numeric array, but was an image; give the net an image encoder: "
        "Input=NetEncoder(\"Image\", (w, h)).")):
        layer(_image())


@pytest.mark.parametrize("args, kwargs, message", [
    (("Image", (0, 3)), {}, "NetEncoder: the image size should be {width, height}, two positive integers; received (0, 3)."),
    (("Image", (3, 3)), {"ColorSpace": "CMYK"}, "NetEncoder: ColorSpace should be one of RGB, Grayscale; received 'CMYK'."),
])
def test_encoder_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        NetEncoder(*args, **kwargs)
