"""Batch re-optimisation of the waiting list: who gets the places that came free (pure, no I/O).

When capacity frees (support ended, capacity raised, a new supporter), deciding the waiting
questions one by one in arrival order is neither fair nor good: an early question may take the one
supporter a later question needed, while it had other options. :func:`assign_waiting` decides them
together as a maximum-weight assignment of questions to free places:

- every edge question → supporter passes every hard rule of :mod:`services.matching.domain`
  (one place per edge; a supporter takes at most their free places, a question at most one), and
  never pairs a question with a supporter who declined it;
- the weight of an edge is ``PLACEMENT_VALUE + score + AGEING_PER_DAY × days waited``. The score is
  the domain score (its own waiting-time component is bounded); the ageing term grows without
  bound, so a question that can be placed cannot be passed over forever: once it has waited long
  enough its weight beats any newer rival for the same place. ``PLACEMENT_VALUE`` (as large as the
  best possible score) makes placing one more question worth more than fitting others better, so
  the assignment places (almost always exactly) as many questions as possible.

How, module by module: :mod:`.problem` (the questions against the free places, in numpy form),
:mod:`.edges` (the candidate edges; duos decided first), :mod:`.assignment` (scipy's sparse
Jonker–Volgenant over the candidates, then column generation), :mod:`.duals` (the dual prices that
prove optimality), :mod:`.batch` (the entry points), :mod:`.flow` (:func:`max_assignable`, the exact
yardstick for the benchmark) and :mod:`.greedy` (the fallback for a pool that cannot be indexed).

:func:`assign_waiting` by default stops after the first solve (``max_rounds=0``), which is what
meets the 5-second target; :func:`optimal_objective` prices to the proven optimum, and the benchmark
reports how close the first is to the second.

Duos: a question that may get a duo (:func:`~services.matching.domain.model.duo_allowed`) and that no
single supporter could take even with room is decided first, oldest first, taking the best pair with
room (both members book a place); it has nowhere else to go. The single assignment then shares out
the places that are left.
"""

from services.matching.optimise.batch import Assignment, assign_waiting, objective, optimal_objective
from services.matching.optimise.flow import max_assignable
from services.matching.optimise.greedy import greedy_assign_waiting
from services.matching.optimise.problem import AGEING_PER_DAY, PLACEMENT_VALUE

__all__ = [
    "AGEING_PER_DAY",
    "PLACEMENT_VALUE",
    "Assignment",
    "assign_waiting",
    "greedy_assign_waiting",
    "max_assignable",
    "objective",
    "optimal_objective",
]
