#!/usr/bin/env bash
# Re-make the sample PDFs of real producers in this folder (Debian packages: texlive-latex-base,
# libreoffice-writer-nogui, ghostscript, poppler-utils, qpdf; reportlab from the interop kit's
# venv). The text is ours; the files are what each producer writes for it.
set -euo pipefail
cd "$(dirname "$0")"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
cat > "$T/doc.tex" <<'TEX'
\documentclass{article}
\begin{document}
\section*{Business licence}
Unified social credit code 91350100M000100Y43. Issued by the market regulation bureau.
\end{document}
TEX
(cd "$T" && pdflatex -interaction=batchmode doc.tex >/dev/null && mv doc.pdf pdftex.pdf \
  && lualatex -interaction=batchmode doc.tex >/dev/null && mv doc.pdf luatex.pdf)
printf 'Business licence\n\nUnified social credit code 91350100M000100Y43.\n' > "$T/doc.txt"
(cd "$T" && soffice --headless --convert-to pdf --outdir . doc.txt >/dev/null 2>&1 && mv doc.pdf libreoffice.pdf)
PY="${ESEAL_INTEROP_HOME:-$HOME/.cache/eseal-interop}/venv/bin/python"
"$PY" - "$T/reportlab.pdf" <<'PYEOF'
import sys
from reportlab.pdfgen import canvas
c = canvas.Canvas(sys.argv[1])
c.drawString(72, 760, "Business licence - unified social credit code 91350100M000100Y43")
c.save()
PYEOF
pdftocairo -pdf "$T/reportlab.pdf" "$T/cairo.pdf"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile="$T/ghostscript.pdf" "$T/reportlab.pdf"
qpdf --linearize "$T/pdftex.pdf" "$T/qpdf-linearized.pdf"
qpdf --object-streams=generate "$T/reportlab.pdf" "$T/qpdf-objstm.pdf"
cp "$T"/{pdftex,luatex,libreoffice,reportlab,cairo,ghostscript,qpdf-linearized,qpdf-objstm}.pdf .
ls -l ./*.pdf
