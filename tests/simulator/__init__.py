"""Tests of the bundled TopView simulator (airflow_topview.testing)."""
