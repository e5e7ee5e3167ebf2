"""Boards: named collections of a user's images, shared inside the organisation (issue 26).

Pure Python over the store; nothing here imports Reflex. Every function takes the acting user and
checks on the server what that user may do: a foreign or missing board is the same "not found".
"""
