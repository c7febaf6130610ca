"""Parse untrusted XML from WeChat without DTDs, entities or surprises.

WeChat never sends a DOCTYPE, so any document that declares one (or an entity,
or a processing instruction other than the XML declaration) is refused before
a single entity could be expanded: no XXE, no billion laughs.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

import xmltodict


class XmlRejected(ValueError):
    """The body is not acceptable XML (malformed, or uses DTD features)."""


def _forbid(*_args: object) -> None:
    raise XmlRejected("DTDs and entities are not allowed")


def check_xml(data: bytes | str) -> None:
    """Raise XmlRejected unless `data` is well-formed XML without any DTD feature."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid  # type: ignore[assignment]
    parser.ProcessingInstructionHandler = _forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as e:
        raise XmlRejected(f"malformed XML: {e}") from None


def parse_xml(data: bytes | str, root: str = "xml") -> dict[str, Any]:
    """Check, then parse into a dict (the children of `root`, texts as str)."""
    check_xml(data)
    try:
        doc = xmltodict.parse(data, disable_entities=True)
    except (expat.ExpatError, ValueError) as e:  # pragma: no cover - check_xml caught it
        raise XmlRejected(str(e)) from None
    node = doc.get(root) if isinstance(doc, dict) else None
    if not isinstance(node, dict):
        raise XmlRejected(f"missing <{root}> element")
    return node


def cdata(value: str) -> str:
    """Text safe to put inside <![CDATA[...]]> (a literal ]]> is split in two)."""
    return value.replace("]]>", "]]]]><![CDATA[>")
