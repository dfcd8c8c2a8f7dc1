"""Maintain the zh_CN catalog: extract messages, merge, fill from a table, compile.

Usage: python scripts/i18n.py [--check]
  --check  exit 1 when a message has no Chinese translation.
Translations are kept in lims/translations/zh_CN*.tsv (msgid<TAB>msgstr, one per line; a
package appends to its own zh_CN.<package>.tsv) and written into the .po/.mo catalog by this script.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "lims" / "translations"
POT = CATALOG_DIR / "messages.pot"
PO = CATALOG_DIR / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)


def main() -> int:
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
            "-o", str(POT), ".")
    if PO.exists():
        pybabel("update", "-i", str(POT), "-d", str(CATALOG_DIR), "-l", "zh_Hans_CN",
                "--no-fuzzy-matching", "--ignore-obsolete")
    else:
        pybabel("init", "-i", str(POT), "-d", str(CATALOG_DIR), "-l", "zh_Hans_CN")
    from babel.messages.pofile import read_po, write_po

    with PO.open("rb") as handle:
        catalog = read_po(handle)
    # zh_CN.tsv plus one zh_CN.<package>.tsv per package, so packages never edit one file.
    for table in sorted(CATALOG_DIR.glob("zh_CN*.tsv")):
        for line in table.read_text("utf-8").splitlines():
            if "\t" in line:
                msgid, msgstr = line.split("\t", 1)
                if msgid in catalog:
                    catalog[msgid].string = msgstr
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    if missing:
        print("untranslated:", *missing, sep="\n  ")
        if "--check" in sys.argv:
            return 1
    pybabel("compile", "-d", str(CATALOG_DIR), "-l", "zh_Hans_CN")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
