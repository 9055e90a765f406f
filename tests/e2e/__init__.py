"""End-to-end tests: a real Airflow 3 deployment (make test-e2e)."""
