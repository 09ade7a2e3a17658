"""Triggers for TopView."""
