"""The advice register (issue 16): a council records its advice, the addressee's decision and response
are recorded with their dates, late responses are flagged. See :mod:`services.intake.advice.domain`."""
