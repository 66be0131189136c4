"""Data protection: export of a person's data, erasure (anonymisation) and retention limits."""
