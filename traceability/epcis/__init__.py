"""EPCIS 2.0 export of the trace store: events, CBV event hash IDs, schema and vocabulary checks.

`export_epcis` writes a validated EPCISDocument; `epcis_check` and `SchemaValidator` check any
EPCIS JSON-LD document; `event_hash_id` computes the CBV 2.0 event hash ID of one event.
"""

from traceability.epcis.events import EpcisConfig, Filters
from traceability.epcis.export import EpcisValidationError, export_epcis
from traceability.epcis.hash_id import event_hash_id
from traceability.epcis.schema_check import SchemaMissingError, SchemaValidator
from traceability.epcis.vocabulary_check import epcis_check

__all__ = [
    "EpcisConfig",
    "EpcisValidationError",
    "Filters",
    "SchemaMissingError",
    "SchemaValidator",
    "epcis_check",
    "event_hash_id",
    "export_epcis",
]
