"""The partner directory import: CSV files of partners and reps into the database.

Reading and validating a file (:mod:`.table`, :mod:`.partners`, :mod:`.reps`) is kept apart
from writing it (:mod:`.service`), so a file is checked completely — every problem of every
row — before the first row is stored, and a file with problems changes nothing.
"""

from bot.directory.partners import PartnerRow, parse_partners
from bot.directory.reps import RepRow, parse_reps
from bot.directory.service import (
    ImportSummary,
    check_partners,
    check_reps,
    import_partners,
    import_reps,
    partners_unreached,
    partners_without_reps,
)
from bot.directory.table import Problem, Table, read_table

__all__ = [
    "ImportSummary",
    "PartnerRow",
    "Problem",
    "RepRow",
    "Table",
    "check_partners",
    "check_reps",
    "import_partners",
    "import_reps",
    "parse_partners",
    "parse_reps",
    "partners_unreached",
    "partners_without_reps",
    "read_table",
]
