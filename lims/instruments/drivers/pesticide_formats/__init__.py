"""Line formats of enzyme-inhibition pesticide-residue readers, one module per vendor format.

A format module exposes ``NAME``, ``DESCRIPTION`` and ``parse_line(text, frame) ->
PesticideFields``; it only splits and type-checks fields. The judgement rules of
GB/T 5009.199 live in ``drivers/pesticide_reader.py`` and apply to every format.
To add a vendor: write a module like ``lims_pr1.py`` and list it in ``FORMATS`` below.
"""

from __future__ import annotations

from types import ModuleType

from lims.instruments.drivers.pesticide_formats import lims_pr1, plain_csv
from lims.instruments.drivers.pesticide_formats.common import PesticideFields

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (lims_pr1, plain_csv)}

__all__ = ["FORMATS", "PesticideFields"]
