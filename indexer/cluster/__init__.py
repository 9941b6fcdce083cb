"""The cluster backend: the same search served by a replicated Typesense cluster.

Dossier analyses every article and every query itself (``ingest``,
``analysis``, ``search.parsing``); the cluster only stores documents and
matches the tokens Dossier made: each (index field, term) pair becomes one
opaque token, so the cluster matches what Whoosh matches. Ranking is the
cluster's own; what it cannot answer the same way is reported, never faked
(README, "Running on a Typesense cluster").
"""
