"""The reference IVOA ExecutionBroker."""
