"""From trigger to sent message: who is told what, on which channel, and the sending itself.

`triggers` turns an alert, deletion or referral into deliveries, by the `routing` in force, to the
`recipients` it concerns, in words from `templates`; `deliveries` writes them (with their events),
`la_events` cuts what an LA may be told. In the worker, `dispatch` sends what is due through
`channels` (email, SMS, webhooks to `webhook_urls` vetted and pinned) and records each outcome.
"""
