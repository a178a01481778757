"""Tracehub's custom GX expectations; importing this package registers them with GX."""

from quality_checks.expectations.gtin import ExpectColumnValuesToBeValidGtin
from quality_checks.expectations.presence import ExpectColumnValuesToBePresent
from quality_checks.expectations.udi import ExpectMulticolumnValuesToBeUdiConsistent

__all__ = [
    "ExpectColumnValuesToBePresent",
    "ExpectColumnValuesToBeValidGtin",
    "ExpectMulticolumnValuesToBeUdiConsistent",
]
