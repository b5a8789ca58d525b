"""Conformance suite for IVOA ExecutionBroker services.

Judges a broker from the normative files of ``ivoa_eb_spec`` alone; imports nothing from the
reference broker.
"""
