"""Apache Airflow provider for TopView AI video generation."""

#: The one place the version is written: pyproject.toml and the provider info read it from here.
__version__ = "0.1.0"
