"""Layer 2, ingest: from corpus files to cleaned, dated, tagged ``Document`` objects.

Loaders, cleaning, dates, the organization gazetteer. Knows nothing of Whoosh.
"""
