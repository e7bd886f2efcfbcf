"""Pictures for Chromium's fake camera: barcodes drawn by ZXing-C++, written as
YUV4MPEG2 video by hand, so that no ffmpeg is needed."""

from pathlib import Path

import zxingcpp
from PIL import Image

# A phone camera's smallest usual size; both sides even, as 4:2:0 needs.
WIDTH, HEIGHT = 640, 480
FRAMES = 3


def barcode_image(text: str, barcode_format=zxingcpp.QRCode, *, scale: int = 6) -> Image.Image:
    """The barcode, black on white with its quiet zone, as ZXing-C++ draws it."""
    drawn = zxingcpp.create_barcode(text, barcode_format).to_image(scale=scale)
    height, width = memoryview(drawn).shape
    image = Image.frombytes("L", (width, height), memoryview(drawn).tobytes())
    # The test must not pass on an unreadable picture by luck: read it back first.
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [text]
    return image


def write_y4m(image: Image.Image, path: Path) -> None:
    """A short video of `image` centred on white, which Chromium plays in a loop.

    YUV4MPEG2: a header line, then per frame "FRAME\\n" and the Y, U and V
    planes (I420: the chroma planes at half width and half height).
    """
    picture = image.convert("L")
    picture.thumbnail((WIDTH - 40, HEIGHT - 40))
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(picture, ((WIDTH - picture.width) // 2, (HEIGHT - picture.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FRAMES):
            video.write(b"FRAME\n" + planes)
