"""Dataset identity, importable before ``django.setup()`` (it names the cached database file)."""

# Bump whenever dataset generation changes so cached benchmark databases are rebuilt.
DATA_VERSION = 2
DEFAULT_SEED = 20260301
