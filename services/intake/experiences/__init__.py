"""Residents' experiences (issue 6, participation): after support ended a resident may say how it went.

- ``domain``: pure rules (who helped, when support has ended, the personal link, the answers);
- ``form``: the resident's form, field by field, with Dutch messages;
- ``store``: SQL; ``handlers``: use cases and the assignment events intake follows;
- ``http``: the internal invitation endpoint (notifications asks it for the link);
- ``web``: the public pages ``/ervaring/<token>``.
"""
