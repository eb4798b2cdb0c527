"""chipsmith: EDA automation and analog design assistant."""
from __future__ import annotations

__version__ = "0.1.0"
