"""Validated arguments -> peewee queries, one module per resource; Flask-free.

Builders are pure: what needs a lookup first (source names, how common a search term is)
is looked up by a separate function whose result the builder takes.
"""
