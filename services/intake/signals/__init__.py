"""The signal lifecycle: raising, routing to the municipality's desk and councils, acknowledging and
answering, grouping, and the resident's status link. See :mod:`services.intake.signals.domain`."""
