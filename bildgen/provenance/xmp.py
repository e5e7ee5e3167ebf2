"""The XMP packet every saved image carries: IPTC's digital source type, the model, the organisation.

Built with ElementTree (so every value is escaped properly) and stored in the PNG's standard XMP
chunk (iTXt `XML:com.adobe.xmp`), where exiftool, Photoshop and the IPTC tools look for it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

DIGITAL_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = DIGITAL_SOURCE_TYPES + "trainedAlgorithmicMedia"
# An edit of an uploaded image: part of it is a person's (or a camera's), part the model's.
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = DIGITAL_SOURCE_TYPES + "compositeWithTrainedAlgorithmicMedia"

_NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
for _prefix, _uri in _NAMESPACES.items():
    ElementTree.register_namespace(_prefix, _uri)


def _name(qualified: str) -> str:
    prefix, local = qualified.split(":")
    return f"{{{_NAMESPACES[prefix]}}}{local}"


def packet(*, source_type: str, model: str | None, generator: str, organisation: str | None) -> str:
    """The XMP packet: digital source type, the AI system used (IPTC 2023.1), creator tool, credit line."""
    root = ElementTree.Element(_name("x:xmpmeta"))
    rdf = ElementTree.SubElement(root, _name("rdf:RDF"))
    description = ElementTree.SubElement(rdf, _name("rdf:Description"), {_name("rdf:about"): ""})
    ElementTree.SubElement(description, _name("Iptc4xmpExt:DigitalSourceType")).text = source_type
    ElementTree.SubElement(description, _name("xmp:CreatorTool")).text = generator
    if model:
        ElementTree.SubElement(description, _name("Iptc4xmpExt:AISystemUsed")).text = model
    if organisation:
        # IPTC's Credit Line: who is to be credited for the image (there is no "employer" property).
        ElementTree.SubElement(description, _name("photoshop:Credit")).text = organisation
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>{body}<?xpacket end="r"?>'
