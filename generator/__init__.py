"""baocao: the reporting cycle of a provincial plan, Excel first."""

__version__ = "0.1.0"
