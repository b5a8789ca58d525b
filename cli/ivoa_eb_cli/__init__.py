"""``ivoa-eb``: a scientist's command line for an IVOA ExecutionBroker, on the typed client
(``ivoa_eb_client``): post a request file, see the offers as a table, accept one, follow the
session live until it ends, read its messages and the last lines of its output."""
