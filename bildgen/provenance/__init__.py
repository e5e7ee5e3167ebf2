"""Provenance: every saved image says machine-readably that it was made by AI, by whom and how (IPTC
digital source type in XMP), and carries signed C2PA Content Credentials that anyone can verify."""
