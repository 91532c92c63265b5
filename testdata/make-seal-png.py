#!/usr/bin/env python3
"""Draw testdata/seal-red.png: a plain red round seal (rim, star, inner ring) on a transparent
background, 400x400 px. Made here for the visible-seal tests; the real seal drawings come from
eseal's own renderer (signer::picture). Run with any Python that has Pillow:
    ~/.cache/eseal-interop/venv/bin/python testdata/make-seal-png.py
"""
import math
import os

from PIL import Image, ImageDraw

SIZE = 400
RED = (220, 20, 30, 255)
img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
c = SIZE / 2
d.ellipse([8, 8, SIZE - 8, SIZE - 8], outline=RED, width=14)
d.ellipse([40, 40, SIZE - 40, SIZE - 40], outline=RED, width=3)
r_out, r_in = 70, 27
pts = []
for i in range(10):
    r = r_out if i % 2 == 0 else r_in
    a = math.pi / 2 + i * math.pi / 5
    pts.append((c + r * math.cos(a), c - r * math.sin(a)))
d.polygon(pts, fill=RED)
d.rectangle([c - 110, c + 95, c + 110, c + 105], fill=RED)
img.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "seal-red.png"), optimize=True)
