"""A typed client of the IVOA ExecutionBroker interface, blocking (:class:`Client`) and
``async`` (:class:`AsyncClient`).

Documents are the shared pydantic model of ``ivoa_eb_spec.model``; bodies are written and
read as YAML, JSON or XML by ``ivoa_eb_spec.codecs``. An error answer raises
:class:`BrokerError` with the broker's messages; a WARN message of an answer is issued as a
:class:`BrokerWarning` and kept on the object's ``warnings``.
"""

from .aio import AsyncClient, AsyncOffer, AsyncOfferSet, AsyncSession
from .errors import BrokerError, BrokerWarning
from .sync import Client, Offer, OfferSet, Session
from .views import ENDED, TERMINAL

__all__ = [
    "ENDED",
    "TERMINAL",
    "AsyncClient",
    "AsyncOffer",
    "AsyncOfferSet",
    "AsyncSession",
    "BrokerError",
    "BrokerWarning",
    "Client",
    "Offer",
    "OfferSet",
    "Session",
]
