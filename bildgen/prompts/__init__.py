"""Prompt help: prompts written from a theme, prompts improved for a model family, context elements
composed into prompts. Pure Python: the text model is reached through bildgen.inference.text."""
