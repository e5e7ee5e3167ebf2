"""Image bytes, whoever sent them: checked decoding (formats by magic bytes, pixel limits, no bombs).

The lowest layer that knows images: store/, provenance/, inference/ and the fronts build on it; it
imports nothing else of bildgen (.importlinter).
"""
