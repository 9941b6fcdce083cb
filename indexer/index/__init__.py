"""Layer 3, the index of record: schema, generations on disk, the writer.

whoosh_internals.py is the one module in Dossier that touches Whoosh's private names.
"""
