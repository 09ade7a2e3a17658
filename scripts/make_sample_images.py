"""Draw the sample input images of the example DAGs (``dags/assets/``): simple, small, deterministic.

Pure Python (zlib + struct) writes the PNGs; the JPEG is converted from a PNG with ffmpeg when it is
installed. The files are committed, so this only needs to run again to change them:
``.venv/bin/python scripts/make_sample_images.py``.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "dags" / "assets"
WIDTH, HEIGHT = 480, 270

Color = tuple[int, int, int]
Painter = Callable[[int, int], Color]


def write_png(path: Path, paint: Painter, width: int = WIDTH, height: int = HEIGHT) -> None:
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(paint(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def mix(a: Color, b: Color, t: float) -> Color:
    t = min(1.0, max(0.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def in_circle(x: int, y: int, cx: float, cy: float, r: float) -> bool:
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


Point = tuple[float, float]


def in_triangle(x: int, y: int, a: Point, b: Point, c: Point) -> bool:
    def side(p: Point, q: Point) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def lighthouse(night: bool) -> Painter:
    sky_top, sky_low = ((14, 20, 48), (52, 44, 92)) if night else ((84, 153, 222), (200, 228, 246))
    sea_near, sea_far = ((8, 26, 44), (20, 52, 82)) if night else ((18, 84, 130), (52, 132, 176))
    horizon = 180

    def paint(x: int, y: int) -> Color:
        if night and in_triangle(x, y, (352, 92), (0, 40), (0, 150)):
            beam = 1 - x / 352
            base = mix(sky_top, sky_low, y / horizon) if y < horizon else sea_far
            return mix(base, (255, 236, 150), 0.15 + 0.45 * beam)
        if 336 <= x <= 368 and 92 <= y <= 214:  # tower, red bands
            band = (y - 92) // 20 % 2 == 1
            return (196, 48, 40) if band else ((214, 214, 222) if night else (246, 246, 240))
        if 330 <= x <= 374 and 80 <= y < 92:  # lamp room
            return (255, 226, 120) if night else (60, 60, 70)
        if in_triangle(x, y, (326, 80), (378, 80), (352, 62)):
            return (40, 40, 46)
        if y > 200 and y > 200 + 30 * math.sin((x - 260) / 70) and 240 < x < 470:  # rocks
            return (30, 30, 34) if night else (92, 84, 78)
        if y < horizon:
            if night and in_circle(x, y, 90, 60, 18):
                return (240, 240, 226)
            if not night and in_circle(x, y, 90, 64, 26):
                return (255, 214, 92)
            return mix(sky_top, sky_low, y / horizon)
        ripple = 0.08 * math.sin(x / 9 + y / 3)
        return mix(sea_far, sea_near, (y - horizon) / (HEIGHT - horizon) + ripple)

    return paint


def fox(x: int, y: int) -> Color:
    background = mix((236, 228, 210), (214, 200, 176), y / HEIGHT)
    if in_circle(x, y, 240, 150, 70):  # face
        if in_circle(x, y, 212, 136, 9) or in_circle(x, y, 268, 136, 9):
            return (30, 24, 20)
        if in_triangle(x, y, (240, 186), (222, 160), (258, 160)):
            return (250, 246, 240)  # white muzzle
        if in_circle(x, y, 240, 178, 8):
            return (26, 20, 18)
        return (222, 112, 36)
    left_ear = in_triangle(x, y, (180, 120), (206, 40), (232, 96))
    if left_ear or in_triangle(x, y, (300, 120), (274, 40), (248, 96)):
        return (198, 90, 26)
    return background


def meadow(x: int, y: int) -> Color:
    hill = 170 + 24 * math.sin(x / 60) + 10 * math.sin(x / 23)
    if y < hill:
        if in_circle(x, y, 400, 56, 22):
            return (255, 238, 160)
        return mix((120, 182, 236), (222, 238, 248), y / hill)
    flower = (x * 7 + y * 13) % 97 == 0
    if flower:
        return (240, 220, 80) if (x + y) % 2 else (236, 120, 160)
    return mix((110, 170, 70), (48, 110, 40), (y - hill) / (HEIGHT - hill))


def paper_boat(x: int, y: int) -> Color:
    if in_triangle(x, y, (190, 170), (290, 170), (240, 96)):
        return (250, 250, 246)
    if in_triangle(x, y, (160, 170), (320, 170), (290, 190)) or in_triangle(
        x, y, (160, 170), (190, 190), (290, 190)
    ):
        return (232, 232, 226)
    ripple = 0.06 * math.sin(x / 11 + y / 4)
    return mix((150, 186, 196), (46, 92, 104), y / HEIGHT + ripple)


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    write_png(ASSETS / "lighthouse_day.png", lighthouse(night=False))
    write_png(ASSETS / "lighthouse_night.png", lighthouse(night=True))
    write_png(ASSETS / "fox.png", fox)
    write_png(ASSETS / "paper_boat.png", paper_boat)
    meadow_png = ASSETS / "meadow.png"
    write_png(meadow_png, meadow)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:  # a JPEG too, so the examples upload more than one format
        command = [ffmpeg, "-loglevel", "error", "-y", "-i", str(meadow_png), "-q:v", "4"]
        subprocess.run([*command, str(ASSETS / "meadow.jpg")], check=True)
        meadow_png.unlink()
    for image in sorted(ASSETS.iterdir()):
        print(f"{image.relative_to(ASSETS.parent.parent)}: {image.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
