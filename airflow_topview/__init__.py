"""Apache Airflow provider for TopView AI video generation."""

__version__ = "0.1.0"
