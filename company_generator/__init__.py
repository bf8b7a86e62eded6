"""Deterministic generator of a fictional B2B SaaS company ("Lumenfold") in the raw contract's layout.

Public API: :func:`generate_company`, plus :data:`PLANTED_BAD_ROWS` (the documented bad rows planted
when ``bad_rows=True``) and :data:`TABLE_COLUMNS` (the contract's column names per table).
"""

from .badrows import PLANTED_BAD_ROWS
from .catalog import COMPANY_NAME
from .core import BLOCK_SIZE, SNAPSHOT_MONTHS, generate_company
from .tables import TABLE_COLUMNS, TABLES

__all__ = [
    "BLOCK_SIZE",
    "COMPANY_NAME",
    "PLANTED_BAD_ROWS",
    "SNAPSHOT_MONTHS",
    "TABLES",
    "TABLE_COLUMNS",
    "generate_company",
]
