"""The coordinators' pages of the joint consultation beyond the queue (:mod:`services.matching.web`):
one question's page (:mod:`.question`), where the conversation with the resident is planned and
recorded and the choice is made, and its forms (:mod:`.forms`)."""
