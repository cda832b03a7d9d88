"""Council meetings: planning, the council's own list, and who took part. See
:mod:`services.intake.councils.domain`."""
