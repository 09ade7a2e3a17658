"""Hooks for TopView."""
