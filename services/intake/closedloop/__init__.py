"""The closed loop: referrers hear of every status change of the questions they referred.

Intake records each change in the question's history with a reason (a stable code and a Dutch
sentence) and, for a referred question, publishes ReferralStatusChanged on
``samenloket.referrals.status`` in the same transaction. Partners may register one webhook URL per
organisation; notifications posts the events there, signed (see ``services/notifications/webhooks.py``).
"""
