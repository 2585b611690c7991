"""The privacy setting as the report writers use it (see :mod:`riskmodel.privacy`).

Every table and text the writers hand out passes through :func:`protect_frame` or
:func:`protect_text`; this module only fixes that choice in one place.
"""

from __future__ import annotations

from riskmodel.privacy import (
    identifier_mode,
    protect_frame,
    protect_input_rows,
    protect_text,
    scan_folder,
)

__all__ = ["identifier_mode", "protect_frame", "protect_input_rows", "protect_text", "scan_folder"]
