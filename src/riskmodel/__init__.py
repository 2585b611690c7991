"""riskmodel: find petty embezzlement in subsidy funds."""

__version__ = "0.1.0"
