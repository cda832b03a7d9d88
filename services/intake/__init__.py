"""Intake: the one door. Owns residents' personal data, questions, their status history and signals."""
