"""VOSI and Registry XML: the namespaces, the proposed standardID, and a validating schema.

An ExecutionBroker answers ``/availability`` and ``/capabilities`` as IVOA VOSI 1.1 defines
them, and describes itself to the Registry with a VOResource record. :func:`vosi_schema`
loads the IVOA schemas kept in ``xml/vendor/`` (their source and licence are in the README
there) together with the broker's own extension (``xml/execution-broker-capability.xsd``),
without touching the network, so that the broker's tests and the conformance suite judge
these documents against the same files.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from . import files

#: Proposed standardID of the ExecutionBroker capability (pending IVOA registration).
STANDARD_ID = "ivo://ivoa.net/std/ExecutionBroker#broker-1.0"
#: The standardIDs VOSI 1.1 gives its own endpoints.
VOSI_CAPABILITIES_ID = "ivo://ivoa.net/std/VOSI#capabilities"
VOSI_AVAILABILITY_ID = "ivo://ivoa.net/std/VOSI#availability"

EB_NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"
VR_NS = "http://www.ivoa.net/xml/VOResource/v1.0"
RI_NS = "http://www.ivoa.net/xml/RegistryInterface/v1.0"
AVAILABILITY_NS = "http://www.ivoa.net/xml/VOSIAvailability/v1.0"
CAPABILITIES_NS = "http://www.ivoa.net/xml/VOSICapabilities/v1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: The one declaration of the RegistryInterface schema a stand-alone record needs (its root
#: element ``ri:Resource``); the rest of that schema (OAI-PMH harvesting) is not used here.
_RI_ROOT = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:vr="{VR_NS}"
    targetNamespace="{RI_NS}" elementFormDefault="unqualified">
  <xs:import namespace="{VR_NS}" schemaLocation="{VR_NS}"/>
  <xs:element name="Resource" type="vr:Resource"/>
</xs:schema>"""


@cache
def vosi_schema() -> Any:
    """An ``xmlschema.XMLSchema10`` that validates VOSI availability and capabilities
    documents and ``ri:Resource`` records, the broker's extension types included."""
    import xmlschema

    folder = files() / "xml"
    vendor = folder / "vendor"
    locations = {
        VR_NS: str(vendor / "VOResource-v1.2.xsd"),
        EB_NS: str(folder / "execution-broker-capability.xsd"),
    }
    sources = [
        str(vendor / "VOSIAvailability-v1.0.xsd"),
        str(vendor / "VOSICapabilities-v1.0.xsd"),
        str(folder / "execution-broker-capability.xsd"),
    ]
    schema = xmlschema.XMLSchema10(sources, locations=locations, allow="local",
                                   defuse="always", build=False)
    schema.add_schema(_RI_ROOT, build=False)
    schema.build()
    return schema


def validation_errors(document: bytes | str) -> list[str]:
    """Every reason ``document`` is not valid against :func:`vosi_schema` (empty: valid)."""
    from .xmlcodec import parse_xml

    root = parse_xml(document.encode("utf-8") if isinstance(document, str) else document)
    return [f"{error.path}: {error.reason}" for error in vosi_schema().iter_errors(root)]
