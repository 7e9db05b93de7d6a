"""Opening photos: every PIL mode, EXIF orientation, and each kind of bad input."""

import io

import pytest
from PIL import Image

from zeroshot_tags.errors import ImageError
from zeroshot_tags.images import fetch_url, load_image


def jpeg_bytes(image, **save_args):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **save_args)
    return buffer.getvalue()


def test_exif_orientation_is_applied():
    landscape = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    image = load_image(jpeg_bytes(landscape, exif=exif))
    assert image.size == (20, 40)


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA", "LA", "I;16", "1"])
def test_every_mode_becomes_rgb(mode):
    image = load_image(Image.new(mode, (8, 8)))
    assert image.mode == "RGB" and image.size == (8, 8)


def test_transparent_pixels_become_white():
    image = load_image(Image.new("RGBA", (4, 4), (255, 0, 0, 0)))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    palette = Image.new("P", (4, 4), 0)
    palette.info["transparency"] = 0
    assert load_image(palette).getpixel((0, 0)) == (255, 255, 255)


def test_path_and_png_file(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (10, 12), "blue").save(path)
    assert load_image(path).size == (10, 12)
    assert load_image(str(path)).getpixel((0, 0)) == (0, 0, 255)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "absent.jpg")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is text, not a JPEG")
    with pytest.raises(ImageError, match="not an image"):
        load_image(path)


def test_truncated_image():
    data = jpeg_bytes(Image.effect_noise((256, 256), 64).convert("RGB"))
    with pytest.raises(ImageError, match="truncated"):
        load_image(data[: len(data) // 2])


def test_pixel_limit():
    with pytest.raises(ImageError, match="over the limit"):
        load_image(Image.new("RGB", (100, 100)), max_pixels=5000)


def test_url(image_server):
    assert load_image(f"{image_server}/photo.jpg").size == (600, 400)


def test_url_not_found(image_server):
    with pytest.raises(ImageError, match="download failed.*404"):
        load_image(f"{image_server}/missing.jpg")


def test_url_timeout(image_server):
    with pytest.raises(ImageError, match="timed out"):
        fetch_url(f"{image_server}/slow.jpg", timeout=0.3)


def test_url_size_cap(image_server):
    with pytest.raises(ImageError, match="over the limit"):
        fetch_url(f"{image_server}/huge.jpg", max_bytes=1000)


def test_unreachable_url():
    with pytest.raises(ImageError, match="download failed"):
        load_image("http://127.0.0.1:9/photo.jpg")
