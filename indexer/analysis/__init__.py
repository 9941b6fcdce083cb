"""Layer 1, text analysis: tokens, folding across scripts, languages and their analyzers.

Imports only indexer.model. Indexing, organization matching, query parsing and
highlighting all analyse words here, so a word is the same term everywhere.
"""
