"""Layer 4, search: parse, execute, score, facet and highlight; ``SearchService`` on top.

Returns indexer.model dataclasses only; nothing above this layer sees Whoosh.
"""
