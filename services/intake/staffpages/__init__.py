"""Staff pages of participation (issue 16), each a set behind its own sign-in (the web kit's
:class:`~services.kit.web.staff.StaffPages`): the municipality's signal desk (``/signalenloket``,
scope ``municipality``) and a council's own view (``/adviesraad``, scope ``council``).

- ``common``: the pages' Jinja environment (the kit's staff layout, codes as Dutch words);
- ``desk``: the desk's signal list, grouping, age and the acknowledge and answer forms;
- ``council``: the council's signals and answers, experiences by theme, meetings and advices.

Both act through the same use cases as the API; a signal outside the key's reach is answered like
an unknown one (404).
"""
