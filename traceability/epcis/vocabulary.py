"""The CBV 2.0 standard vocabularies an export may use, and their three spellings.

An event may name a CBV term by its bare JSON-LD name (`shipping`), its GS1 Web URI
(`https://ref.gs1.org/cbv/BizStep-shipping`) or its EPCIS 1.x URN (`urn:epcglobal:cbv:bizstep:shipping`).
`term()` reduces all three to the bare name so that one set per vocabulary answers "is this CBV?",
and `web_uri()` gives the Web URI the CBV event hash is computed over.
"""

from __future__ import annotations

from dataclasses import dataclass

CBV_WEB = "https://ref.gs1.org/cbv/"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One CBV vocabulary: its Web URI infix (`BizStep`), its 1.x URN prefix and its terms."""

    name: str
    infix: str
    urn: str
    terms: frozenset[str]

    def term(self, value: str) -> str | None:
        """The bare CBV term `value` spells, or None if it is not this vocabulary's term."""
        value = value.strip()
        for prefix in (f"{CBV_WEB}{self.infix}-", f"cbv:{self.infix}-", self.urn):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        return value if value in self.terms else None

    def web_uri(self, value: str) -> str:
        """`value` as a GS1 Web URI if it spells a term of this vocabulary, else unchanged (a private URI)."""
        value = value.strip()
        if value.startswith(self.urn):
            return f"{CBV_WEB}{self.infix}-{value[len(self.urn) :]}"
        if value.startswith("cbv:"):
            return CBV_WEB + value[len("cbv:") :]
        if ":" not in value:
            return f"{CBV_WEB}{self.infix}-{value}"
        return value


BIZ_STEP = Vocabulary(
    "bizStep",
    "BizStep",
    "urn:epcglobal:cbv:bizstep:",
    frozenset(
        [
            "accepting",
            "arriving",
            "assembling",
            "collecting",
            "commissioning",
            "consigning",
            "creating_class_instance",
            "cycle_counting",
            "decommissioning",
            "departing",
            "destroying",
            "disassembling",
            "dispensing",
            "encoding",
            "entering_exiting",
            "holding",
            "inspecting",
            "installing",
            "killing",
            "loading",
            "other",
            "packing",
            "picking",
            "receiving",
            "removing",
            "repackaging",
            "repairing",
            "replacing",
            "reserving",
            "retail_selling",
            "sampling",
            "sensor_reporting",
            "shipping",
            "staging_outbound",
            "stock_taking",
            "stocking",
            "storing",
            "transporting",
            "unloading",
            "unpacking",
            "void_shipping",
        ]
    ),
)
DISPOSITION = Vocabulary(
    "disposition",
    "Disp",
    "urn:epcglobal:cbv:disp:",
    frozenset(
        [
            "active",
            "available",
            "completeness_inferred",
            "completeness_verified",
            "conformant",
            "container_closed",
            "container_open",
            "damaged",
            "destroyed",
            "dispensed",
            "disposed",
            "encoded",
            "expired",
            "in_progress",
            "in_transit",
            "inactive",
            "mismatch_class",
            "mismatch_instance",
            "mismatch_quantity",
            "needs_replacement",
            "no_pedigree_match",
            "non_conformant",
            "non_sellable_other",
            "partially_dispensed",
            "recalled",
            "reserved",
            "retail_sold",
            "returned",
            "sellable_accessible",
            "sellable_not_accessible",
            "stolen",
            "unavailable",
            "unknown",
        ]
    ),
)
BIZ_TRANSACTION_TYPE = Vocabulary(
    "bizTransaction type",
    "BTT",
    "urn:epcglobal:cbv:btt:",
    frozenset(
        [
            "bol",
            "cert",
            "desadv",
            "inv",
            "pedigree",
            "po",
            "poc",
            "prodorder",
            "recadv",
            "rma",
            "testprd",
            "testres",
            "upevt",
        ]
    ),
)
SOURCE_DESTINATION_TYPE = Vocabulary(
    "source/destination type",
    "SDT",
    "urn:epcglobal:cbv:sdt:",
    frozenset({"owning_party", "possessing_party", "location"}),
)
ERROR_REASON = Vocabulary("error reason", "ER", "urn:epcglobal:cbv:er:", frozenset({"did_not_occur", "incorrect_data"}))
