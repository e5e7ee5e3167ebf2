# Named in every image's Content Credentials (bildgen/provenance/signing.py).
__version__ = "0.1.0"
