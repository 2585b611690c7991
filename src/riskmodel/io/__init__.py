"""Load a data folder: find, read, map, coerce, check, quarantine; and ``validate``.

Public API: :func:`load_folder`, :func:`load_table`, :func:`write_validation`,
:class:`LoadResult`, :class:`TableReport`, :class:`DataError`.
"""

from riskmodel.io.errors import DataError
from riskmodel.io.load import TableLoad, load_folder, load_table
from riskmodel.io.result import LoadResult, TableReport, write_validation

__all__ = [
    "DataError",
    "LoadResult",
    "TableLoad",
    "TableReport",
    "load_folder",
    "load_table",
    "write_validation",
]
