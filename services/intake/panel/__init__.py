"""The panel (issue 16, "Ik wil meedenken"): residents who opt in, per municipality and theme, to be
invited by the councils to a meeting or a short poll; the councils never see who they are.

- ``domain``: the choice, the consent wording and who may be invited; ``store``: SQL;
- ``web``: the resident's form on their own page (``/mijn-vraag/<link>/meedenken``);
- ``http``: the councils' invitations (``POST /api/v1/council/panel/invitations``) and panel sizes.
"""
