"""Vocabulary shared below hooks, operators, sensors and triggers: bot statuses, criteria, calendar plans."""
