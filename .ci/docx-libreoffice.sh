#!/usr/bin/env bash
# CI: open output/styrenotat.docx in LibreOffice (headless), convert it to PDF and check the
# converted text: the four section headings, the numbered decisions, the suppression
# footnote, and the key figure Vakansgrad equal to the one in the tool's own styrenotat.pdf.
# A document LibreOffice cannot open (or would have to repair) fails here.
#
# Usage: bash .ci/docx-libreoffice.sh [path/to/styrenotat.docx]
# Builds the bundled sample first when the document is missing. Installs LibreOffice Writer
# and poppler-utils with apt-get when soffice or pdftotext is missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

docx=${1:-output/styrenotat.docx}
pdf=$(dirname "$docx")/styrenotat.pdf

fail() { printf 'docx-libreoffice: %s\n' "$*" >&2; exit 1; }

if [ ! -f "$docx" ]; then
  cargo run --release --locked --quiet -- build
fi
[ -f "$docx" ] || fail "$docx is missing after the build"
[ -f "$pdf" ] || fail "$pdf is missing after the build"

if ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui poppler-utils >/dev/null \
    || apt-get install -y -qq --no-install-recommends libreoffice-writer poppler-utils >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$docx" "$tmp/styrenotat.docx"
# A profile of its own, so no earlier LibreOffice session or lock gets in the way.
timeout 300 soffice --headless --norestore "-env:UserInstallation=file://$tmp/profil" \
  --convert-to pdf --outdir "$tmp/lo" "$tmp/styrenotat.docx" >"$tmp/soffice.log" 2>&1 \
  || { cat "$tmp/soffice.log" >&2; fail "LibreOffice could not convert $docx"; }
[ -s "$tmp/lo/styrenotat.pdf" ] || { cat "$tmp/soffice.log" >&2; fail "LibreOffice wrote no PDF"; }

# Text with no-break spaces as spaces.
text() { pdftotext -layout "$1" - | sed 's/\xc2\xa0/ /g; s/\xe2\x80\xaf/ /g'; }
text "$tmp/lo/styrenotat.pdf" >"$tmp/lo.txt"
text "$pdf" >"$tmp/typst.txt"

for heading in "Sammendrag" "Nøkkeltall" "Vurdering" "Forslag til vedtak"; do
  grep -q "^ *$heading *\$" "$tmp/lo.txt" || fail "no heading \`$heading\` in LibreOffice's rendering"
done
grep -Eq '^ *1\. +Styret tar prosjektrapporten' "$tmp/lo.txt" || fail "the decisions are not a numbered list"
grep -Eq '^ *3\. +Styret ber om' "$tmp/lo.txt" || fail "the third decision is not numbered 3."
grep -q 'Færre enn [0-9]* svar' "$tmp/lo.txt" || fail "no suppression footnote"

# The key figure: the value beside "Vakansgrad" in the table, the same in both PDFs.
vakans() { grep -E '^ *Vakansgrad +[^ ]' "$1" | head -n 1 | sed -E 's/^ *Vakansgrad +//; s/ +$//'; }
lo=$(vakans "$tmp/lo.txt")
typst=$(vakans "$tmp/typst.txt")
[ -n "$lo" ] || fail "no Vakansgrad row in LibreOffice's rendering"
[ "$lo" = "$typst" ] || fail "Vakansgrad is \`$lo\` in the .docx but \`$typst\` in styrenotat.pdf"
case "$lo" in *[0-9]*) ;; *) fail "Vakansgrad \`$lo\` holds no number" ;; esac

printf 'docx-libreoffice: %s opens in LibreOffice; headings, numbered decisions, footnote and Vakansgrad %s as in the PDF\n' "$docx" "$lo"
