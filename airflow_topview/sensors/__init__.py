"""Sensors for TopView."""
