#!/usr/bin/env python3
"""base.py OUTDIR - the unsigned inputs every producer signs, drawn with reportlab (invariant
mode, so the bytes are the same on every run): plain.pdf (one page of text) and form.pdf (the same
page with one text field "Name", for the form-fill case)."""
import os
import sys

from reportlab.pdfgen import canvas
from reportlab.lib.colors import black, white


def page(c, title):
    c.setFont("Helvetica", 14)
    c.drawString(72, 760, title)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(["This page was written by the eseal world corpus (testdata/world).",
                              "Producers sign it; tampered copies change a byte or the page."]):
        c.drawString(72, 730 - 16 * i, line)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    c = canvas.Canvas(os.path.join(out, "plain.pdf"), invariant=1)
    page(c, "World corpus: plain page")
    c.save()
    c = canvas.Canvas(os.path.join(out, "form.pdf"), invariant=1)
    page(c, "World corpus: page with a form field")
    c.acroForm.textfield(name="Name", tooltip="Name", x=72, y=600, width=300, height=20,
                         borderColor=black, fillColor=white, textColor=black, value="")
    c.save()


if __name__ == "__main__":
    main()
