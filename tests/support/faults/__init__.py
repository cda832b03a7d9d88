"""The fault suite's tools (tests/integration/test_fault_suite.py): a platform of the four services as
real processes on a PostgreSQL and a Tansu broker of its own (:mod:`.platform`), a steady stream of
questions (:mod:`.feeding`), poison messages (:mod:`.poison`) and the checks after a fault, with the
figures the issue asks for (:mod:`.checks`)."""
