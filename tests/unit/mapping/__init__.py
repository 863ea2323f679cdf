"""Tests of crmsync.mapping: the field-map language."""
