"""Moved to bplib.data.sequences (first_symbol_recall is also in bplib.data).

This module stays so that notebooks saved with `from bplib.tasks import first_symbol_recall` keep working.
"""

from bplib.data.sequences import first_symbol_recall

__all__ = ["first_symbol_recall"]
