"""Operators for TopView."""
