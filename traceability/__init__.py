"""Traceability: what the trace store answers. Reads the store, never lands platform data.

Forward deliveries of a lot or serial, genealogy through production, recall impact, order vs
shipment vs invoice reconciliation, findings, and EPCIS 2.0 export.
"""
