"""The privacy officer's daily work (AVG): find a resident, show them what is held, and retention.

- :mod:`.scope`: a key limited to a municipality handles only residents with a question there;
- :mod:`.lookup`: the resident_ref(s) behind an e-mail address or phone number (exact match, audited);
- :mod:`.export`: everything intake holds about a resident (AVG art. 15), as JSON and a Dutch page;
- :mod:`.deliveries`: the messages notifications sent about the resident's questions (internal call);
- :mod:`.retention`: residents erased a set number of years after their last question ended;
- :mod:`.http`: the endpoints (scope ``privacy-officer``).

Erasure itself and the audit log API stay in :mod:`services.intake.privacy`.
"""
